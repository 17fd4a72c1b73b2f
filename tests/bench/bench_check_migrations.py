"""Benchmark: `chrono check-migrations` on PostgreSQL with 2,000 base tables and 2,000 history tables.

Not a test: prints numbers. Usage: python tests/bench/bench_check_migrations.py [--server URL] [--pairs N]
Builds a throwaway database in big DDL batches (200 statements each): N history_meta pairs (8 columns each, a unique
column on the base, PK + version on the history), 1% of them drifted by a migration that forgot the
history table. Times the CLI end to end (subprocess, median of 5 runs; also --help for the startup cost)
next to `pg_dump --schema-only` of the same database, run alternately with it so load affects both alike,
and prints the ratio (wall and CPU time; the CPU of pg_dump is its own, the server's work is in neither) and
the peak RSS of each process. Also the in-process check, and the SQL statements the check sends: one bulk
catalog read, never a query per table. Target: within 2x of pg_dump, end to end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from measured import measured  # noqa: E402 - tests/bench, this script's folder

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


@dataclass
class Runs:
    """Wall seconds, CPU seconds (user + system of the process) and peak RSS (KiB) of each run of one command."""

    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    last: tuple[int, str] = (0, "")  # exit code and stdout of the last run

    def run(self, cmd: list[str]) -> None:
        done = measured(cmd)
        self.walls.append(done.wall)
        self.cpus.append(done.cpu)
        self.rss.append(done.rss_kib)
        self.last = (done.code, done.stdout)

    def line(self) -> str:
        return (f"{statistics.median(self.walls):6.2f} s  (CPU {statistics.median(self.cpus):.2f} s, "
                f"peak RSS {max(self.rss) / 1024:.0f} MiB)")


def alternate(commands: dict[str, list[str]], runs: int = 5) -> dict[str, Runs]:
    """Each command ``runs`` times, taking turns, after one warm-up each."""
    out = {name: Runs() for name in commands}
    for cmd in commands.values():
        Runs().run(cmd)  # warm-up: bytecode, the server's catalog caches
    for _ in range(runs):
        for name, cmd in commands.items():
            out[name].run(cmd)
    return out


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
        dump_url = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        runs = alternate({"help": ["chrono", "--help"],
                          "check": ["chrono", "--db", url, "check-migrations", "-f", "json"],
                          "pg_dump": ["pg_dump", "--schema-only", "--no-owner", "-f", os.devnull, dump_url]})
        code, stdout = runs["check"].last
        doc = json.loads(stdout)
        print(f"load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
        print(f"chrono --help (startup):              {runs['help'].line()}")
        print(f"chrono check-migrations, end to end:  {runs['check'].line()}  (median of 5; exit {code}, "
              f"{doc['summary']['tables']} tables, {len(doc['findings'])} findings)")
        print(f"pg_dump --schema-only:                {runs['pg_dump'].line()}  (exit {runs['pg_dump'].last[0]})")
        wall = statistics.median(runs["check"].walls) / statistics.median(runs["pg_dump"].walls)
        cpu = statistics.median(runs["check"].cpus) / max(statistics.median(runs["pg_dump"].cpus), 1e-9)
        print(f"check-migrations / pg_dump:           wall {wall:.2f}x, CPU {cpu:.2f}x  "
              f"(target: wall within 2x -> {'met' if wall <= 2 else 'MISSED'})")
        seconds, sent, findings = in_process(url)
        print(f"check in process:                     {seconds:6.2f} s  ({sent} SQL statements, {findings} findings)")
    finally:
        drop(args.server, name)


if __name__ == "__main__":
    main()
