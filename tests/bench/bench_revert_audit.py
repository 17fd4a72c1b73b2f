"""Benchmark: `chrono revert` of one audit-trigger transaction of N updated rows, against the bulk restore of the same
rows (bench_revert.py's comparison, for the trigger logs).

Not a test: prints numbers. Usage: python tests/bench/bench_revert_audit.py [--server URL] [--rows N [N ...]]
[--runs N]
The 2ndQuadrant audit trigger as the test suite installs it (tests/support/audit_logs.py: ``audit.logged_actions``,
hstore row_data / changed_fields, no index on the key, as the original script makes it) on a table ``article``:
transaction 1 inserts N articles, transaction 2 (the change set) updates every one of them, both through the
trigger. Then per run, on a fresh copy (CREATE DATABASE ... TEMPLATE), alternating:
  revert        `chrono revert TXID --yes` end to end (a subprocess: wall time, CPU time, peak RSS);
  bulk restore  `chrono restore article --at T --all-changed-since T --yes` (T: between the two transactions).
Both end with the same live rows (checked). Run it with PYTHONPATH pointing at another checkout to measure that
one's chrono (the subprocesses import chrono_cli from there): the row-by-row revert reads each row's timeline with
a scan of the log, so measure it at a few thousand rows.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bench_revert import admin, compare, url_for  # a sibling script: the benchmarks run as scripts
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.support.audit_logs import AUDIT_TRIGGER  # noqa: E402

TABLE = "CREATE TABLE article (id integer PRIMARY KEY, name varchar(255) NOT NULL)"


def build(server: str, rows: int) -> tuple[str, int, datetime]:
    """A template database: the trigger, N articles inserted, then all updated; the change set's transaction id
    and a time between the two transactions."""
    name = f"chrono_bench_revert_audit_{uuid.uuid4().hex[:8]}"
    admin(server, f"CREATE DATABASE {name}")
    engine = create_engine(url_for(server, name))
    raw = engine.raw_connection()  # the script holds format('%s'): no parameter interpolation
    try:
        with raw.cursor() as cur:
            cur.execute(AUDIT_TRIGGER)
            cur.execute(TABLE)
            cur.execute("SELECT audit.audit_table('article')")
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO article SELECT a, 'article ' || a || ' v1' FROM generate_series(1, :rows) a"),
                     {"rows": rows})
    with engine.begin() as conn:
        at = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
    with engine.begin() as conn:
        conn.execute(text("UPDATE article SET name = 'article ' || id || ' v2'"))
        tx = conn.execute(text("SELECT txid_current()")).scalar_one()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return name, tx, at


def bench(server: str, rows: int, runs: int) -> None:
    print(f"audit-trigger: building {rows:,} articles x 2 log rows ... ({datetime.now(UTC):%H:%M:%S})", flush=True)
    template, tx, at = build(server, rows)
    when = at.astimezone(UTC).isoformat()
    compare(server, "audit-trigger", rows, runs, template,
            {"revert": ("revert", str(tx)),
             "bulk restore": ("restore", "article", "--at", when, "--all-changed-since", when)})


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--server", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for rows in args.rows:
        bench(args.server, rows, args.runs)


if __name__ == "__main__":
    main()
