"""Benchmark: `chrono revert` of one change set of N updated rows in a period store, against the bulk restore of the
same rows.

Not a test: prints numbers. Usage: python tests/bench/bench_revert_period.py [--rows N [N ...]] [--runs N]
[--store periods temporal-tables mariadb ...] [--server URL] [--mariadb URL]
periods: the periods extension on PostgreSQL (`article` with add_system_time_period / add_system_versioning);
temporal-tables: `article` with a sys_period tstzrange, `article_history (LIKE article)` and the suite's
versioning() trigger (tests/support/period_stories.py); both: transaction 1 inserts N articles, transaction 2 (the
change set, one transaction time: an inferred set, window 0) updates every one; the extension or the trigger writes the
history. bench_revert.py's timing loop runs them, each run on a fresh copy (CREATE DATABASE ... TEMPLATE).
mariadb: `article` WITH SYSTEM VERSIONING (timestamp periods), inserted at T1 and updated at T2 (SET timestamp:
one statement time); mariadb-precise: the same table transaction-precise (the insert and the update each a
transaction, the registry timing them by SET timestamp: the revert is of an exact set); MariaDB has no template
databases and its history cannot be copied, so each run builds a
fresh database. Per run, alternating:
  revert        `chrono revert ID --yes` end to end (ID: the inferred id the listing gives the update);
  bulk restore  `chrono restore article --at T1 --all-changed-since T2 --yes` (every article back to its state
                before the change set, set-based).
Both end with the same live rows (checked). Prints wall and CPU medians and both ratios. The goal: revert within
2x of the bulk restore (services/revert_set.py: every table's undo, shapes/period_undo.py; the set listed light,
shapes/period_events.py; mariadb's set, of one statement time, planned by the database: the undo query of
conventions/builtin/mariadb_versioning/undo.py, shapes/undo_plan.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import bench_revert  # a sibling script: the benchmarks run as scripts
from bench_bulk_restore import run_cli
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests.support, run as a script

from chrono_cli.config import Config  # noqa: E402
from chrono_cli.services.changes import list_changes  # noqa: E402
from chrono_cli.services.workspace import Settings, Workspace  # noqa: E402
from tests.support.period_stories import VERSIONING_FUNCTION  # noqa: E402

ROWS = "INSERT INTO article SELECT a, 'article ' || a || ' v1' FROM generate_series(1, :rows) a"
UPDATE = "UPDATE article SET name = replace(name, ' v1', ' v2')"
STORES = {
    "periods": [["CREATE EXTENSION IF NOT EXISTS periods CASCADE",
                 "CREATE TABLE article (id integer PRIMARY KEY, name varchar(255) NOT NULL)",
                 "SELECT periods.add_system_time_period('article')",
                 "SELECT periods.add_system_versioning('article')"], [ROWS], [UPDATE]],
    "temporal-tables": [[VERSIONING_FUNCTION,
                         "CREATE TABLE article (id integer PRIMARY KEY, name varchar(255) NOT NULL, "
                         "sys_period tstzrange NOT NULL DEFAULT tstzrange(now(), NULL))",
                         "CREATE TABLE article_history (LIKE article)",
                         "CREATE TRIGGER versioning_trigger BEFORE INSERT OR UPDATE OR DELETE ON article "
                         "FOR EACH ROW EXECUTE PROCEDURE versioning('sys_period', 'article_history', true)"],
                        [ROWS], [UPDATE]],
}
T1 = datetime(2026, 1, 1, 9, 0, 0, tzinfo=UTC)  # MariaDB: the articles inserted
T2 = datetime(2026, 1, 1, 10, 0, 0, tzinfo=UTC)  # MariaDB: every article updated (the change set to revert)
MARIADB = ["CREATE TABLE article (id INT PRIMARY KEY, name VARCHAR(255) NOT NULL) WITH SYSTEM VERSIONING",
           "SET timestamp = :t1",
           "INSERT INTO article SELECT seq, CONCAT('article ', seq, ' v1') FROM seq_1_to_{rows}",
           "SET timestamp = :t2", "UPDATE article SET name = REPLACE(name, ' v1', ' v2')", "SET timestamp = DEFAULT"]
# transaction-precise: the insert and the update each their own transaction (the registry times them by SET timestamp)
PRECISE = [["CREATE TABLE article (id INT PRIMARY KEY, name VARCHAR(255) NOT NULL, "
            "s BIGINT UNSIGNED GENERATED ALWAYS AS ROW START INVISIBLE, "
            "e BIGINT UNSIGNED GENERATED ALWAYS AS ROW END INVISIBLE, PERIOD FOR SYSTEM_TIME (s, e)) "
            "WITH SYSTEM VERSIONING"],
           MARIADB[1:3], MARIADB[3:5]]


def build_pg(server: str, rows: int, steps: Sequence[Sequence[str]]) -> tuple[str, datetime, datetime]:
    """A template database: each of ``steps`` one transaction (their times are the periods' bounds); returns its
    name and the times of the insert and the update, read back."""
    name = f"chrono_bench_revert_{uuid.uuid4().hex[:8]}"
    bench_revert.admin(server, f"CREATE DATABASE {name}")
    engine = create_engine(bench_revert.url_for(server, name))
    times = []
    for step in steps:
        time.sleep(0.01)  # the insert and the update: each its own inferred set (window 0)
        with engine.begin() as conn:
            for stmt in step:
                conn.exec_driver_sql(stmt.replace("%", "%%").replace(":rows", str(int(rows))))
            times.append(conn.execute(text("SELECT transaction_timestamp()")).scalar_one())
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return name, times[1], times[2]


def build_mariadb(server: str, rows: int, precise: bool = False) -> str:
    name = f"chrono_bench_revert_{uuid.uuid4().hex[:8]}"
    bench_revert.admin(server, f"CREATE DATABASE {name}")
    url = bench_revert.url_for(server, name)
    engine = create_engine(url)
    for transaction in PRECISE if precise else [MARIADB]:
        with engine.begin() as conn:
            for stmt in transaction:
                conn.execute(text(stmt.format(rows=int(rows))), {"t1": T1.timestamp(), "t2": T2.timestamp()})
    with engine.connect() as conn:  # statistics as a table in use has them (InnoDB computes a new table's later:
        conn.exec_driver_sql("ANALYZE TABLE article").all()  # till then the optimizer plans for an empty one)
    engine.dispose()
    return url


def checksum(url: str) -> str:
    return bench_revert.checksum(url)


def the_set(url: str) -> str:
    """The inferred id of the update (the newest change set; window 0: its changes share one time)."""
    ws = Workspace(Settings(url, (), Config()))
    try:
        return list_changes(ws, limit=1, window=0).changesets[0].id
    finally:
        ws.close()


def kinds(url: str, t1: datetime, t2: datetime) -> dict[str, tuple[str, ...]]:
    return {"revert": ("revert", the_set(url)),
            "bulk restore": ("restore", "article", "--at", t1.isoformat(), "--all-changed-since", t2.isoformat())}


def bench_pg(server: str, store: str, rows: int, runs: int) -> None:
    print(f"{store}: building {rows:,} articles x 2 versions ... ({datetime.now(UTC):%H:%M:%S})", flush=True)
    template, t1, t2 = build_pg(server, rows, STORES[store])
    bench_revert.compare(server, store, rows, runs, template,
                         kinds(bench_revert.url_for(server, template), t1, t2))


def bench_mariadb(server: str, rows: int, runs: int, precise: bool = False) -> None:
    """bench_revert.compare's loop, each run on a freshly built database (no template databases on MariaDB)."""
    store = "mariadb-precise" if precise else "mariadb"
    print(f"{store}: {rows:,} articles x 2 versions, built per run ({datetime.now(UTC):%H:%M:%S})", flush=True)
    results: dict[str, list[tuple[float, float, float]]] = {"revert": [], "bulk restore": []}
    sums = set()
    for _ in range(runs):
        for kind in results:
            url = build_mariadb(server, rows, precise)
            try:
                results[kind].append(run_cli(url, *kinds(url, T1, T2)[kind]))
                sums.add(checksum(url))
            finally:
                bench_revert.admin(server, f"DROP DATABASE IF EXISTS {make_url(url).database}")
    print(f"{store}: rows {rows:,}; runs {runs}; same final rows both ways: {len(sums) == 1}; "
          f"load average {os.getloadavg()[0]:.1f}")
    median = {k: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v)) for k, v in results.items()}
    for kind, (wall, cpu) in median.items():
        print(f"  {kind:13s} median {wall:7.2f} s wall, {cpu:7.2f} s CPU, "
              f"peak RSS {max(r[2] for r in results[kind]):.0f} MiB")
    print(f"  ratio revert / bulk restore: {median['revert'][0] / median['bulk restore'][0]:.2f}x wall, "
          f"{median['revert'][1] / median['bulk restore'][1]:.2f}x CPU", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--server", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--mariadb", default="mysql+pymysql://root@127.0.0.1:3306/mysql")
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--store", choices=[*STORES, "mariadb", "mariadb-precise"], nargs="+",
                        default=["periods", "mariadb", "mariadb-precise"])
    args = parser.parse_args()
    for store in args.store:
        for rows in args.rows:
            if store.startswith("mariadb"):
                bench_mariadb(args.mariadb, rows, args.runs, precise=store == "mariadb-precise")
            else:
                bench_pg(args.server, store, rows, args.runs)


if __name__ == "__main__":
    main()
