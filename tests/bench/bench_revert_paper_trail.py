"""Benchmark: `chrono revert` of one PaperTrail change set of N updated rows, against the bulk restore of the same rows.

Not a test: prints numbers. Usage: python tests/bench/bench_revert_paper_trail.py [--server URL] [--rows N [N ...]]
[--runs N] [--encoding yaml|json ...]
A Rails PaperTrail store on PostgreSQL (bench_revert.py's sibling: PaperTrail needs a Rails table name, `articles`
for item_type Article): `articles` (id, name, created_at, updated_at) and `versions` as PaperTrail 12's install
migration makes it (with object_changes; index on item_type, item_id). N articles created at T1 (a `create`
version each), then each updated by one actor at T2 plus a microsecond per row (an `update` version: object = the
row before, object_changes = name and updated_at), so the change set is inferred (@<ms>w5). Documents as a Rails
app writes them by default: YAML with ActiveSupport::TimeWithZone times (`yaml`), or a jsonb column (`json`).
bench_revert.py's builder and timing loop run it: per run, on a fresh copy (CREATE DATABASE ... TEMPLATE), alternating:
  revert        `chrono revert ID --yes` end to end (a subprocess: wall time, CPU time, peak RSS);
  bulk restore  `chrono restore articles --at T1 --all-changed-since T2 --yes` (every article back to its state
                before the change set, set-based).
Both end with the same live rows (checked). To time the code of another checkout (the row-by-row revert before
this store had a set-based one), run the script with PYTHONPATH pointing at that checkout.
"""

from __future__ import annotations

import argparse
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import bench_revert  # a sibling script: the benchmarks run as scripts
from sqlalchemy import create_engine, text

from chrono_cli.conventions.builtin.paper_trail import psych

T1 = datetime(2026, 1, 1, 9, 0, 0)  # the articles created
T2 = datetime(2026, 1, 1, 10, 0, 0)  # every article updated (the change set to revert), a microsecond apart
ID = 123456789  # stands for each article's id in the documents' templates
LATER = datetime(2026, 1, 1, 10, 0, 0, 1, tzinfo=UTC)  # stands for each update's time
UTC1 = T1.replace(tzinfo=UTC)


def _quoted(value: str) -> str:
    """``value`` as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _yaml(document: dict[str, Any]) -> str:
    """Psych's YAML of ``document`` as an SQL expression of each row ``a``: ``ID`` becomes ``a``, ``LATER`` the time
    of a's update (Psych writes nine fraction digits: the first six are replaced)."""
    later = LATER.strftime("%Y-%m-%d %H:%M:%S.%f")
    return (f"replace(replace({_quoted(psych.dump(document))}, '{ID}', a::text), '{later}', "
            "to_char(:t2 + a * interval '1 microsecond', 'YYYY-MM-DD HH24:MI:SS.US'))")


V1 = {"id": ID, "name": f"article {ID} v1", "created_at": UTC1, "updated_at": UTC1}  # as created
SCHEMA = [
    "CREATE TABLE articles (id integer PRIMARY KEY, name varchar NOT NULL, created_at timestamp NOT NULL, "
    "updated_at timestamp NOT NULL)",
    "CREATE TABLE versions (id bigserial PRIMARY KEY, item_type varchar NOT NULL, item_id bigint NOT NULL, "
    "event varchar NOT NULL, whodunnit varchar, object {doc}, created_at timestamp, object_changes {doc})",
    "CREATE INDEX index_versions_on_item_type_and_item_id ON versions (item_type, item_id)",
    "INSERT INTO articles SELECT a, 'article ' || a || ' v2', :t1, :t2 + a * interval '1 microsecond' "
    "FROM generate_series(1, :rows) a",
]
INSERT = "INSERT INTO versions (item_type, item_id, event, whodunnit, object, created_at, object_changes) "
YAML = [
    INSERT + f"SELECT 'Article', a, 'create', 'seed', NULL, :t1, {_yaml({c: [None, v] for c, v in V1.items()})} "
    "FROM generate_series(1, :rows) a",
    INSERT + f"SELECT 'Article', a, 'update', 'bench', {_yaml(V1)}, :t2 + a * interval '1 microsecond', "
    f"{_yaml({'name': [f'article {ID} v1', f'article {ID} v2'], 'updated_at': [UTC1, LATER]})} "
    "FROM generate_series(1, :rows) a",
]
JSON_STATE = ("jsonb_build_object('id', a, 'name', 'article ' || a || ' v1', 'created_at', '2026-01-01T09:00:00.000Z', "
              "'updated_at', '2026-01-01T09:00:00.000Z')")
JSON = [
    INSERT + "SELECT 'Article', a, 'create', 'seed', NULL, :t1, jsonb_build_object('id', jsonb_build_array(NULL, a), "
    "'name', jsonb_build_array(NULL, 'article ' || a || ' v1'), 'created_at', "
    "jsonb_build_array(NULL, '2026-01-01T09:00:00.000Z'), 'updated_at', "
    "jsonb_build_array(NULL, '2026-01-01T09:00:00.000Z')) FROM generate_series(1, :rows) a",
    INSERT + f"SELECT 'Article', a, 'update', 'bench', {JSON_STATE}, :t2 + a * interval '1 microsecond', "
    "jsonb_build_object('name', jsonb_build_array('article ' || a || ' v1', 'article ' || a || ' v2'), "
    "'updated_at', jsonb_build_array('2026-01-01T09:00:00.000Z', "
    "to_char(:t2 + a * interval '1 microsecond', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))) "
    "FROM generate_series(1, :rows) a",
]
STORES = {"paper-trail-yaml": [s.format(doc="text") for s in SCHEMA] + YAML,
          "paper-trail-json": [s.format(doc="jsonb") for s in SCHEMA] + JSON}


def checksum(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, name, created_at FROM articles ORDER BY id")).all()
    engine.dispose()
    return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()


def kinds(rows: int) -> dict[str, tuple[str, ...]]:
    """The revert of the change set (the inferred id of its newest change) and the bulk restore."""
    newest = T2 + timedelta(microseconds=rows) - datetime(1970, 1, 1)  # naive UTC, as stored
    return {"revert": ("revert", f"@{newest // timedelta(milliseconds=1)}w5"),
            "bulk restore": ("restore", "articles", "--at", T1.isoformat() + "Z", "--all-changed-since",
                             T2.isoformat() + "Z")}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--server", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--encoding", choices=["yaml", "json"], nargs="+", default=["yaml", "json"])
    args = parser.parse_args()
    for encoding in args.encoding:
        store = f"paper-trail-{encoding}"
        for rows in args.rows:
            print(f"{store}: building {rows:,} articles x 2 versions ... ({datetime.now(UTC):%H:%M:%S})", flush=True)
            template = bench_revert.build(args.server, rows, STORES[store])
            bench_revert.compare(args.server, store, rows, args.runs, template, kinds(rows), checksum)


if __name__ == "__main__":
    main()
