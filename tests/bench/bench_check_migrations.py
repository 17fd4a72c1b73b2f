"""Benchmark: `chrono check-migrations` on PostgreSQL with 2,000 base tables and 2,000 history tables.

Not a test: prints numbers. Usage: python tests/bench/bench_check_migrations.py [--server URL] [--pairs N]
Builds a throwaway database in big DDL batches (200 statements each): N history_meta pairs (8 columns each, a unique
column on the base, PK + version on the history), 1% of them drifted by a migration that forgot the
history table. Times the CLI end to end (subprocess, median of 5 runs; also --help for the startup cost)
and the in-process check, and counts the SQL statements the check sends: one bulk catalog read, never a
query per table. Target: under 3 s end to end.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

BASE = ("CREATE TABLE t{i} (id serial PRIMARY KEY, sku varchar(40) NOT NULL UNIQUE, name varchar(120), "
        "price numeric(10,2), qty integer NOT NULL DEFAULT 0, notes text, created timestamptz DEFAULT now(), "
        "version integer NOT NULL)")
HISTORY = ("CREATE TABLE t{i}_history (id integer NOT NULL, sku varchar(40) NOT NULL, name varchar(120), "
           "price numeric(10,2), qty integer NOT NULL, notes text, created timestamptz, version integer NOT NULL, "
           "changed timestamp, PRIMARY KEY (id, version))")
DRIFT = "ALTER TABLE t{i} ADD COLUMN added_later varchar(20)"


def create(server: str) -> tuple[str, str]:
    name = f"chrono_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))  # a generated identifier
    admin.dispose()
    return name, make_url(server).set(database=name).render_as_string(hide_password=False)


def build(url: str, pairs: int) -> float:
    statements = [s.format(i=i) for i in range(pairs) for s in (BASE, HISTORY)]
    statements += [DRIFT.format(i=i) for i in range(0, pairs, 100)]
    engine = create_engine(url)
    started = time.perf_counter()
    batch = 200  # one transaction per batch: a single one would exhaust the server's shared lock table
    for k in range(0, len(statements), batch):
        with engine.begin() as conn:
            conn.exec_driver_sql(";\n".join(statements[k:k + batch]))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return time.perf_counter() - started


def drop(server: str, name: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def median_seconds(cmd: list[str], runs: int = 5) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Median wall-clock seconds, median CPU seconds of the child (user + system), and the last result."""
    walls, cpus, last = [], [], None
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        last = subprocess.run(cmd, capture_output=True, text=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    assert last is not None
    return statistics.median(walls), statistics.median(cpus), last


def in_process(url: str) -> tuple[float, int, int]:
    """Seconds for one check in this process (imports already paid), statements sent, findings."""
    from chrono_cli.config import Config
    from chrono_cli.services import check
    from chrono_cli.services.workspace import Settings, Workspace

    ws = Workspace(Settings(url, (), Config()))
    statements: list[str] = []
    event.listen(ws.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    check.run(ws)  # warm the connection pool and the dialect's caches
    statements.clear()
    started = time.perf_counter()
    report = check.run(ws)
    seconds = time.perf_counter() - started
    ws.close()
    return seconds, len(statements), len(report.findings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--pairs", type=int, default=2000)
    args = parser.parse_args()
    name, url = create(args.server)
    try:
        ddl = build(url, args.pairs)
        print(f"database: {args.pairs} base + {args.pairs} history tables, built in {ddl:.1f} s")
        help_s, help_cpu, _ = median_seconds(["chrono", "--help"])
        cli_s, cli_cpu, result = median_seconds(["chrono", "--db", url, "check-migrations", "-f", "json"])
        doc = json.loads(result.stdout)
        print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
        print(f"chrono --help (startup):              {help_s:6.2f} s  (CPU {help_cpu:.2f} s)")
        print(f"chrono check-migrations, end to end:  {cli_s:6.2f} s  (CPU {cli_cpu:.2f} s; median of 5; exit "
              f"{result.returncode}, {doc['summary']['tables']} tables, {len(doc['findings'])} findings)")
        seconds, sent, findings = in_process(url)
        print(f"check in process:                     {seconds:6.2f} s  ({sent} SQL statements, {findings} findings)")
        print(f"target: under 3 s end to end -> {'met' if cli_s < 3 else 'MISSED'}")
    finally:
        drop(args.server, name)


if __name__ == "__main__":
    main()
