"""Benchmark: `chrono revert` of one django-reversion revision of N updated rows, against the bulk restore of the
same rows.

Not a test: prints numbers. Usage: python tests/bench/bench_revert_django.py [--server URL] [--rows N [N ...]]
[--runs N]
A django-reversion store on PostgreSQL: the tables the library's migrations make (tests/support/reversion_story.py's
``setup``, run in a subprocess: Django, contenttypes, auth, reversion and the shop app), then N makers
(``shop_maker``: id, name) with two versions each, in Django's json serializer format: revision 1 at T1 creating
them ("maker a v1"), revision 2 at T2 renaming each ("maker a v2", the live state). bench_revert.py's timing loop
runs, per run, on a fresh copy (CREATE DATABASE ... TEMPLATE), alternating:
  revert        `chrono revert 2 --yes` end to end (a subprocess: wall time, CPU time, peak RSS): one revision and N
                versions written, as ``version.revert()`` of each row inside one ``create_revision()`` block;
  bulk restore  `chrono restore shop_maker --at T1 --all-changed-since T2 --yes` (every maker back to its state
                before revision 2, set-based: the same writes).
Both end with the same live rows (checked). To time the code of another checkout (the row-by-row revert before
the Django libraries had a set-based one), run the script with PYTHONPATH pointing at that checkout.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import bench_revert  # a sibling script: the benchmarks run as scripts
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
T1, T2 = bench_revert.T1, bench_revert.T2  # revision 1: the makers created; 2: every one renamed (to revert)
SCHEMA = "import sys; from tests.support.reversion_story import setup; setup(sys.argv[1], True)"
VERSION = ("INSERT INTO reversion_version (object_id, format, serialized_data, object_repr, content_type_id, "
           "revision_id, db) SELECT a::text, 'json', '[{{\"model\": \"shop.maker\", \"pk\": ' || a || ', \"fields\": "
           "{{\"name\": \"maker ' || a || ' {v}\"}}}}]', 'maker ' || a || ' {v}', ct.id, {revision}, 'default' "
           "FROM generate_series(1, :rows) a, django_content_type ct "
           "WHERE ct.app_label = 'shop' AND ct.model = 'maker'")
DATA = [
    "INSERT INTO shop_maker (id, name) SELECT a, 'maker ' || a || ' v2' FROM generate_series(1, :rows) a",
    "INSERT INTO reversion_revision (id, date_created, comment, user_id) VALUES "
    "(1, :t1 AT TIME ZONE 'UTC', 'created', NULL), (2, :t2 AT TIME ZONE 'UTC', 'renamed', NULL)",
    "SELECT setval(pg_get_serial_sequence('reversion_revision', 'id'), 2)",
    "SELECT setval(pg_get_serial_sequence('shop_maker', 'id'), :rows)",
    VERSION.format(v="v1", revision=1),
    VERSION.format(v="v2", revision=2),
]
RUNS = {"revert": ("revert", "2"),
        "bulk restore": ("restore", "shop_maker", "--at", T1.isoformat() + "Z", "--all-changed-since",
                         T2.isoformat() + "Z")}


def schema(url: str) -> None:
    """The library's tables, made by its migrations (in a subprocess: Django is configured once per process)."""
    proc = subprocess.run([sys.executable, "-c", SCHEMA, url], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)


def checksum(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, name FROM shop_maker ORDER BY id")).all()
    engine.dispose()
    return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--server", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for rows in args.rows:
        print(f"reversion: building {rows:,} makers x 2 versions ... ({datetime.now(UTC):%H:%M:%S})", flush=True)
        template = bench_revert.build(args.server, rows, DATA, schema)
        bench_revert.compare(args.server, "reversion", rows, args.runs, template, RUNS, checksum)


if __name__ == "__main__":
    main()
