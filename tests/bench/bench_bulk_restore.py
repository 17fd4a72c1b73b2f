"""Benchmark: set-based `chrono restore TABLE --at T --all-changed-since T` of 100,000 rows on PostgreSQL.

Not a test: prints numbers. Usage: python tests/bench/bench_bulk_restore.py [--server URL] [--rows N] [--runs N]
Builds a history_meta pair (appuser / appuser_history, 3 history rows per user, every user changed after T)
once as a template database, then per run copies it (CREATE DATABASE ... TEMPLATE) and times, on the copy:
  chrono     `chrono restore appuser --at T --all-changed-since T --yes` end to end (subprocess), and the
             plan / apply split measured in process;
  hand SQL   the same restore written by hand: one INSERT ... SELECT of the pre-restore states into the
             history and one UPDATE ... FROM (SELECT DISTINCT ON ...) in one transaction.
Both end with the same rows (checked: the live table's checksum after chrono = after the hand-written SQL).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

T = "2026-01-01 12:00:00"
SETUP = [
    "CREATE TABLE appuser (id integer PRIMARY KEY, email varchar(120) NOT NULL UNIQUE, name varchar(80), "
    "plan varchar(20), version integer NOT NULL)",
    "CREATE TABLE appuser_history (id integer NOT NULL, email varchar(120) NOT NULL, name varchar(80), "
    "plan varchar(20), version integer NOT NULL, changed timestamp, PRIMARY KEY (id, version))",
    # each user: v1 (ended 10:00), v2 (ended 13:00, after T), v3 (ended 14:00); live row = v4
    "INSERT INTO appuser SELECT u, 'u' || u || '@example.com', 'name ' || u || ' v4', 'team', 4 "
    "FROM generate_series(1, :users) u",
    "INSERT INTO appuser_history SELECT u, 'u' || u || '@example.com', 'name ' || u || ' v' || v, "
    "CASE WHEN v = 2 THEN 'pro' ELSE 'free' END, v, timestamp '2026-01-01 09:00' + v * interval '1 hour' "
    "+ CASE WHEN v > 1 THEN interval '2 hours' ELSE interval '0' END FROM generate_series(1, :users) u, "
    "generate_series(1, 3) v",
    "CREATE INDEX ON appuser_history (changed)",
]
HAND = [
    "INSERT INTO appuser_history (id, email, name, plan, version, changed) "
    "SELECT a.id, a.email, a.name, a.plan, a.version, now() AT TIME ZONE 'UTC' FROM appuser a "
    "WHERE a.id IN (SELECT id FROM appuser_history WHERE changed >= :t)",
    "UPDATE appuser a SET email = h.email, name = h.name, plan = h.plan, version = a.version + 1 "
    "FROM (SELECT DISTINCT ON (id) * FROM appuser_history WHERE changed > :t AND changed < now() AT TIME ZONE 'UTC' "
    "- interval '1 minute' ORDER BY id, version) h WHERE a.id = h.id",
]
CHECKSUM = "SELECT md5(string_agg(id || '|' || email || '|' || name || '|' || plan, ',' ORDER BY id)) FROM appuser"


def url_for(server: str, name: str) -> str:
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def admin(server: str, statement: str) -> None:
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))  # generated identifiers only
    engine.dispose()


def build(server: str, users: int) -> str:
    name = f"chrono_bench_bulk_{uuid.uuid4().hex[:8]}"
    admin(server, f"CREATE DATABASE {name}")
    engine = create_engine(url_for(server, name))
    with engine.begin() as conn:
        for stmt in SETUP:
            conn.execute(text(stmt), {"users": users})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return name


def copy(server: str, template: str) -> str:
    name = f"{template}_c{uuid.uuid4().hex[:6]}"
    admin(server, f"CREATE DATABASE {name} TEMPLATE {template}")
    return name


def checksum(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = str(conn.execute(text(CHECKSUM)).scalar())
    engine.dispose()
    return value


def run_chrono(url: str) -> float:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "chrono_cli", "--db", url, "restore", "appuser", "--at", T + "Z",
                           "--all-changed-since", T + "Z", "--yes"], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return elapsed


def run_in_process(url: str) -> tuple[float, float]:
    from chrono_cli.services.bulk_restore import apply_bulk_restore, plan_bulk_restore
    from chrono_cli.services.workspace import Settings, Workspace

    ws = Workspace(Settings(url=url))
    started = time.perf_counter()
    plan = plan_bulk_restore(ws, "appuser", at=T + "Z", since=T + "Z")
    planned = time.perf_counter()
    apply_bulk_restore(ws, plan)
    applied = time.perf_counter()
    ws.close()
    return planned - started, applied - planned


def run_hand(url: str) -> float:
    engine = create_engine(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        for stmt in HAND:
            conn.execute(text(stmt), {"t": datetime.fromisoformat(T).replace(tzinfo=None)})
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"building {args.rows:,} users x 3 history rows ... ({datetime.now(UTC):%H:%M:%S})", flush=True)
    template = build(args.server, args.rows)
    made: list[str] = []
    try:
        results: dict[str, list[float]] = {"chrono end to end": [], "chrono plan (in process)": [],
                                           "chrono apply (in process)": [], "hand-written SQL": []}
        sums = set()
        for _ in range(args.runs):
            for kind in ("cli", "inproc", "hand"):
                name = copy(args.server, template)
                made.append(name)
                url = url_for(args.server, name)
                if kind == "cli":
                    results["chrono end to end"].append(run_chrono(url))
                elif kind == "inproc":
                    plan_s, apply_s = run_in_process(url)
                    results["chrono plan (in process)"].append(plan_s)
                    results["chrono apply (in process)"].append(apply_s)
                else:
                    results["hand-written SQL"].append(run_hand(url))
                sums.add(checksum(url))
                admin(args.server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        print(f"rows restored: {args.rows:,}; runs: {args.runs}; same final rows every way: {len(sums) == 1}")
        for label, values in results.items():
            print(f"  {label:28s} median {statistics.median(values):6.2f} s   "
                  f"(min {min(values):.2f}, max {max(values):.2f})")
    finally:
        for name in [*made, template]:
            admin(args.server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
