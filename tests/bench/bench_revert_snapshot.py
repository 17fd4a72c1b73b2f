"""Benchmark: set-based `chrono restore --at --all-changed-since` and `chrono revert` of N rows of a Chrononaut 0.4
(`chrononaut_activity`) or Flask-Potion (`history_record`) table, on PostgreSQL.

Not a test: prints numbers. Usage: python tests/bench/bench_revert_snapshot.py [--server URL] [--rows N [N ...]]
[--runs N] [--store chrononaut potion]
chrononaut: `appuser` (id, email, name, version) and `chrononaut_activity` as Chrononaut 0.4.1 creates it (index on
key, table_name): N users created at T1 (a version-0 activity row each: the new state, key {"id": n}), then each
renamed by one user at T2 plus a microsecond per row (a version-1 row), so the change set is inferred (@<ms>w5).
potion: `article` (id, title, body) and `history_record` as the HistoryMixin recipe makes it (indexes on object_type
and object_id): N articles (Potion records no creation), each retitled by a PATCH at T2 plus a microsecond per row
(one record: [{attribute, old, new}]). bench_revert.py's builder and timing loop run it: per run, on a fresh copy
(CREATE DATABASE ... TEMPLATE), alternating:
  revert        `chrono revert ID --yes` end to end (a subprocess: wall time, CPU time, peak RSS);
  bulk restore  `chrono restore TABLE --at T1 --all-changed-since T2 --yes` (every row back to its state before
                the change set, set-based).
Both end with the same live rows (checked). To time the code of another checkout (the row-by-row revert, before
these stores had bulk writers: its bulk restore is refused), run the script with PYTHONPATH pointing at it.

Measured (10,000 rows, one run, load 5; CPU of the chrono process): Chrononaut revert 7.8 s CPU / 20.4 s wall,
bulk restore 5.3 s / 10.0 s; Potion revert 3.4 s / 4.2 s, bulk restore 3.5 s / 5.7 s. Row by row (before), at
1,000 rows: the Chrononaut revert 32.3 s CPU / 91.5 s wall (now 1.9 s / 4.6 s), Potion 33.1 s / 87.7 s (now
1.8 s / 2.1 s).
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import bench_revert  # a sibling script: the benchmarks run as scripts
from sqlalchemy import create_engine, text

T1 = bench_revert.T1  # the rows created
T2 = bench_revert.T2  # every row changed (the change set to revert), a microsecond apart
USER = "'{\"user_id\": \"bench@example.com\", \"remote_addr\": null}'"
CHRONONAUT = [
    "CREATE TABLE appuser (id integer PRIMARY KEY, email varchar(120) NOT NULL UNIQUE, name varchar(80), "
    "version integer NOT NULL)",
    "CREATE TABLE chrononaut_activity (id bigserial PRIMARY KEY, table_name text NOT NULL, changed timestamptz NOT "
    "NULL, version integer NOT NULL, key jsonb NOT NULL DEFAULT '{}', data jsonb NOT NULL DEFAULT '{}', "
    "user_info jsonb NOT NULL DEFAULT '{}', extra_info jsonb NOT NULL DEFAULT '{}')",
    "CREATE INDEX ix_chrononaut_activity_key_table_name ON chrononaut_activity (key, table_name)",
    "INSERT INTO appuser SELECT a, 'u' || a || '@example.com', 'user ' || a || ' v1', 1 "
    "FROM generate_series(1, :rows) a",
    "INSERT INTO chrononaut_activity (table_name, changed, version, key, data, user_info, extra_info) "
    "SELECT 'appuser', CAST(:t1 AS timestamp) AT TIME ZONE 'UTC', 0, jsonb_build_object('id', a), "
    "jsonb_build_object('id', a, 'email', 'u' || a || '@example.com', 'name', 'user ' || a || ' v0', 'version', 0), "
    f"{USER}, '{{}}' FROM generate_series(1, :rows) a",
    "INSERT INTO chrononaut_activity (table_name, changed, version, key, data, user_info, extra_info) "
    "SELECT 'appuser', (CAST(:t2 AS timestamp) + a * interval '1 microsecond') AT TIME ZONE 'UTC', 1, "
    "jsonb_build_object('id', a), jsonb_build_object('id', a, 'email', 'u' || a || '@example.com', 'name', "
    f"'user ' || a || ' v1', 'version', 1), {USER}, '{{}}' FROM generate_series(1, :rows) a",
]
POTION = [
    "CREATE TABLE article (id integer PRIMARY KEY, title varchar(200) NOT NULL, body text)",
    "CREATE TABLE history_record (id serial PRIMARY KEY, object_type varchar(20) NOT NULL, object_id integer NOT "
    "NULL, updated_at timestamp NOT NULL, changes jsonb)",
    "CREATE INDEX ix_history_record_object_id ON history_record (object_id)",
    "CREATE INDEX ix_history_record_object_type ON history_record (object_type)",
    "INSERT INTO article SELECT a, 'article ' || a || ' v1', 'Notes.' FROM generate_series(1, :rows) a",
    "INSERT INTO history_record (object_type, object_id, updated_at, changes) SELECT 'article', a, "
    "CAST(:t2 AS timestamp) + a * interval '1 microsecond', jsonb_build_array(jsonb_build_object('attribute', "
    "'title', 'old', 'article ' || a || ' v0', 'new', 'article ' || a || ' v1')) FROM generate_series(1, :rows) a",
]
# the table, the query of its restored rows (compared after every run) and the statements that build the store
STORES = {"chrononaut": ("appuser", "SELECT id, email, name FROM appuser ORDER BY id", CHRONONAUT),
          "potion": ("article", "SELECT id, title, body FROM article ORDER BY id", POTION)}


def checksum_of(query: str) -> Callable[[str], str]:
    """A digest of the rows ``query`` reads from the database at a URL."""
    def checksum(url: str) -> str:
        engine = create_engine(url)
        with engine.connect() as conn:
            rows = conn.execute(text(query)).all()
        engine.dispose()
        return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()

    return checksum


def kinds(table: str, rows: int) -> dict[str, tuple[str, ...]]:
    """The revert of the change set (the inferred id of its newest change) and the bulk restore."""
    newest = T2 + timedelta(microseconds=rows) - datetime(1970, 1, 1)  # naive UTC, as stored
    return {"revert": ("revert", f"@{newest // timedelta(milliseconds=1)}w5"),
            "bulk restore": ("restore", table, "--at", T1.isoformat() + "Z", "--all-changed-since",
                             T2.isoformat() + "Z")}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--server", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--store", choices=list(STORES), nargs="+", default=list(STORES))
    args = parser.parse_args()
    for store in args.store:
        table, query, statements = STORES[store]
        for rows in args.rows:
            print(f"{store}: building {rows:,} rows x 2 states ... ({datetime.now(UTC):%H:%M:%S})", flush=True)
            template = bench_revert.build(args.server, rows, statements)
            bench_revert.compare(args.server, store, rows, args.runs, template, kinds(table, rows),
                                 checksum_of(query))


if __name__ == "__main__":
    main()
