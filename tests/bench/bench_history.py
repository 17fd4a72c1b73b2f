"""Benchmark: `chrono history` for one record on PostgreSQL, by history size and schema size.

Not a test: prints numbers. Usage: python tests/bench/bench_history.py [--server URL]
Builds throwaway databases with a history_meta pair (appuser / appuser_history) holding 10 thousand or
1 million history rows, next to 10 or 1,000 unrelated tables, and times the CLI end to end (subprocess,
median of 7 runs) plus `chrono --help`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

SETUP = [
    "CREATE TABLE appuser (id integer PRIMARY KEY, email varchar(120) NOT NULL, name varchar(80), "
    "version integer NOT NULL)",
    "CREATE TABLE appuser_history (id integer NOT NULL, email varchar(120) NOT NULL, name varchar(80), "
    "version integer NOT NULL, changed timestamp, PRIMARY KEY (id, version))",
    # :users users with :per versions each
    "INSERT INTO appuser SELECT u, 'u' || u || '@example.com', 'name ' || u, :per + 1 "
    "FROM generate_series(1, :users) u",
    "INSERT INTO appuser_history SELECT u, 'u' || u || '@example.com', 'name ' || u || ' v' || v, v, "
    "timestamp '2026-01-01' + (u * :per + v) * interval '1 second' "
    "FROM generate_series(1, :users) u, generate_series(1, :per) v",
    "ANALYZE",
]


def build(server: str, history_rows: int, extra_tables: int) -> str:
    name = f"chrono_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))  # generated identifier
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    per = 10
    with engine.begin() as conn:
        for i in range(extra_tables):
            conn.execute(text(f"CREATE TABLE extra_{i} (id integer PRIMARY KEY, label text, created timestamptz)"))
        for stmt in SETUP:
            conn.execute(text(stmt), {"users": history_rows // per, "per": per})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return name


def drop(server: str, name: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def median_seconds(cmd: list[str], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip()}")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    chrono = [sys.executable, "-m", "chrono_cli"]
    print(f"chrono --help: {median_seconds([*chrono, '--help']):.3f} s (median of 7)")
    print(f"{'history rows':>12} {'tables':>7} {'chrono history (s)':>19} {'chrono show --at (s)':>21}")
    for history_rows, extra in ((10_000, 10), (1_000_000, 10), (10_000, 1_000), (1_000_000, 1_000)):
        name = build(args.server, history_rows, extra)
        try:
            url = make_url(args.server).set(database=name).render_as_string(hide_password=False)
            t_hist = median_seconds([*chrono, "--db", url, "history", "appuser", "42"])
            t_show = median_seconds([*chrono, "--db", url, "show", "appuser", "42", "--at", "2026-01-01T00:07:05Z"])
            print(f"{history_rows:>12,} {extra + 2:>7} {t_hist:>19.3f} {t_show:>21.3f}")
        finally:
            drop(args.server, name)


if __name__ == "__main__":
    main()
