"""Benchmark: `chrono revert` of one PaperTrail change set of N updated rows, against the bulk restore of the same rows.

Not a test: prints numbers. Usage: python tests/bench/bench_revert_paper_trail.py [--server URL] [--rows N [N ...]]
[--runs N] [--encoding yaml|json ...] [--skip-bulk]
A Rails PaperTrail store on PostgreSQL (bench_revert.py's sibling: PaperTrail needs a Rails table name, `articles`
for item_type Article): `articles` (id, name, created_at, updated_at) and `versions` as PaperTrail 12's install
migration makes it (with object_changes; index on item_type, item_id). N articles created at T1 (a `create`
version each), then each updated by one actor at T2 plus a microsecond per row (an `update` version: object = the
row before, object_changes = name and updated_at), so the change set is inferred (@<ms>w5). Documents as a Rails
app writes them by default: YAML with ActiveSupport::TimeWithZone times (`yaml`), or a jsonb column (`json`).
Per run, on a fresh copy (CREATE DATABASE ... TEMPLATE), alternating:
  revert        `chrono revert ID --yes` end to end (a subprocess: wall time, CPU time, peak RSS);
  bulk restore  `chrono restore articles --at T1 --all-changed-since T2 --yes` (every article back to its state
                before the change set, set-based).
Both end with the same live rows (checked). To time the code of another checkout (the row-by-row revert before
this store had a set-based one), run the script with PYTHONPATH pointing at that checkout.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import uuid
from datetime import UTC, datetime, timedelta

from bench_bulk_restore import run_cli  # sibling scripts: the benchmarks run as scripts
from bench_revert import admin, url_for
from sqlalchemy import create_engine, text

from chrono_cli.conventions.builtin.paper_trail import psych

T1 = datetime(2026, 1, 1, 9, 0, 0)  # the articles created
T2 = datetime(2026, 1, 1, 10, 0, 0)  # every article updated (the change set to revert), a microsecond apart
ID = 123456789  # stands for each article's id in the documents' templates
LATER = datetime(2026, 1, 1, 10, 0, 0, 1, tzinfo=UTC)  # stands for each update's time
UTC1, UTC2 = T1.replace(tzinfo=UTC), T2.replace(tzinfo=UTC)


def _yaml_templates() -> dict[str, str]:
    """The three documents (Psych's YAML of TimeWithZone attributes), ``ID`` and ``LATER`` to be replaced per row."""
    v1 = {"id": ID, "name": f"article {ID} v1", "created_at": UTC1, "updated_at": UTC1}
    return {"object": psych.dump(v1),
            "created": psych.dump({c: [None, v] for c, v in v1.items()}),
            "changes": psych.dump({"name": [f"article {ID} v1", f"article {ID} v2"], "updated_at": [UTC1, LATER]})}


SCHEMA = [
    "CREATE TABLE articles (id integer PRIMARY KEY, name varchar NOT NULL, created_at timestamp NOT NULL, "
    "updated_at timestamp NOT NULL)",
    "CREATE TABLE versions (id bigserial PRIMARY KEY, item_type varchar NOT NULL, item_id bigint NOT NULL, "
    "event varchar NOT NULL, whodunnit varchar, object {doc}, created_at timestamp, object_changes {doc})",
    "CREATE INDEX index_versions_on_item_type_and_item_id ON versions (item_type, item_id)",
    "INSERT INTO articles SELECT a, 'article ' || a || ' v2', :t1, :t2 + a * interval '1 microsecond' "
    "FROM generate_series(1, :rows) a",
]
LATER_SQL = "to_char(:t2 + a * interval '1 microsecond', 'YYYY-MM-DD HH24:MI:SS.US')"
YAML = [
    "INSERT INTO versions (item_type, item_id, event, whodunnit, object, created_at, object_changes) "
    "SELECT 'Article', a, 'create', 'seed', NULL, :t1, replace(:created, :id, a::text) "
    "FROM generate_series(1, :rows) a",
    "INSERT INTO versions (item_type, item_id, event, whodunnit, object, created_at, object_changes) "
    "SELECT 'Article', a, 'update', 'bench', replace(:object, :id, a::text), :t2 + a * interval '1 microsecond', "
    f"replace(replace(:changes, :id, a::text), :later, {LATER_SQL}) FROM generate_series(1, :rows) a",
]
JSON_STATE = ("jsonb_build_object('id', a, 'name', 'article ' || a || ' v1', 'created_at', '2026-01-01T09:00:00.000Z', "
              "'updated_at', '2026-01-01T09:00:00.000Z')")
JSON = [
    "INSERT INTO versions (item_type, item_id, event, whodunnit, object, created_at, object_changes) "
    "SELECT 'Article', a, 'create', 'seed', NULL, :t1, jsonb_build_object('id', jsonb_build_array(NULL, a), "
    "'name', jsonb_build_array(NULL, 'article ' || a || ' v1'), 'created_at', "
    "jsonb_build_array(NULL, '2026-01-01T09:00:00.000Z'), 'updated_at', "
    "jsonb_build_array(NULL, '2026-01-01T09:00:00.000Z')) FROM generate_series(1, :rows) a",
    "INSERT INTO versions (item_type, item_id, event, whodunnit, object, created_at, object_changes) "
    f"SELECT 'Article', a, 'update', 'bench', {JSON_STATE}, :t2 + a * interval '1 microsecond', "
    "jsonb_build_object('name', jsonb_build_array('article ' || a || ' v1', 'article ' || a || ' v2'), "
    "'updated_at', jsonb_build_array('2026-01-01T09:00:00.000Z', "
    "to_char(:t2 + a * interval '1 microsecond', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))) "
    "FROM generate_series(1, :rows) a",
]
ENCODINGS = {"yaml": ("text", YAML), "json": ("jsonb", JSON)}


def build(server: str, rows: int, encoding: str) -> str:
    name = f"chrono_bench_revert_pt_{uuid.uuid4().hex[:8]}"
    admin(server, f"CREATE DATABASE {name}")
    engine = create_engine(url_for(server, name))
    doc, inserts = ENCODINGS[encoding]
    later = LATER.strftime("%Y-%m-%d %H:%M:%S.%f")  # as the templates write it, before Psych's 9th digits
    params = {"rows": rows, "t1": T1, "t2": T2, "id": str(ID), "later": later, **_yaml_templates()}
    with engine.begin() as conn:
        for stmt in [*SCHEMA, *inserts]:
            conn.execute(text(stmt.format(doc=doc)), params)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return name


def checksum(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, name, created_at FROM articles ORDER BY id")).all()
    engine.dispose()
    return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()


def kinds(rows: int, skip_bulk: bool) -> dict[str, tuple[str, ...]]:
    """The revert of the change set (the inferred id of its newest change) and the bulk restore."""
    newest = T2 + timedelta(microseconds=rows) - datetime(1970, 1, 1)  # naive UTC, as stored
    out: dict[str, tuple[str, ...]] = {"revert": ("revert", f"@{newest // timedelta(milliseconds=1)}w5")}
    if not skip_bulk:
        out["bulk restore"] = ("restore", "articles", "--at", T1.isoformat() + "Z", "--all-changed-since",
                               T2.isoformat() + "Z")
    return out


def bench(server: str, rows: int, runs: int, encoding: str, skip_bulk: bool) -> None:
    print(f"paper-trail ({encoding}): building {rows:,} articles x 2 versions ... ({datetime.now(UTC):%H:%M:%S})",
          flush=True)
    template = build(server, rows, encoding)
    runs_of = kinds(rows, skip_bulk)
    try:
        results: dict[str, list[tuple[float, float, float]]] = {k: [] for k in runs_of}
        sums = set()
        for _ in range(runs):
            for kind, args in runs_of.items():
                name = f"{template}_c{uuid.uuid4().hex[:6]}"
                admin(server, f"CREATE DATABASE {name} TEMPLATE {template}")
                try:
                    results[kind].append(run_cli(url_for(server, name), *args))
                    sums.add(checksum(url_for(server, name)))
                finally:
                    admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        print(f"paper-trail ({encoding}): rows {rows:,}; runs {runs}; same final rows both ways: {len(sums) == 1}; "
              f"load average {os.getloadavg()[0]:.1f}")
        cpu = {k: statistics.median(r[1] for r in v) for k, v in results.items()}
        wall = {k: statistics.median(r[0] for r in v) for k, v in results.items()}
        for kind, values in results.items():
            print(f"  {kind:13s} median {wall[kind]:7.2f} s wall, {cpu[kind]:7.2f} s CPU, "
                  f"peak RSS {max(r[2] for r in values):.0f} MiB")
        if "bulk restore" in cpu:
            print(f"  ratio revert / bulk restore: {wall['revert'] / wall['bulk restore']:.2f}x wall, "
                  f"{cpu['revert'] / cpu['bulk restore']:.2f}x CPU", flush=True)
    finally:
        admin(server, f"DROP DATABASE IF EXISTS {template} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--server", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--encoding", choices=list(ENCODINGS), nargs="+", default=list(ENCODINGS))
    parser.add_argument("--skip-bulk", action="store_true", help="time the revert alone")
    args = parser.parse_args()
    for encoding in args.encoding:
        for rows in args.rows:
            bench(args.server, rows, args.runs, encoding, args.skip_bulk)


if __name__ == "__main__":
    main()
