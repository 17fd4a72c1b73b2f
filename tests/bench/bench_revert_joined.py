"""Benchmark: `chrono revert` of a change set of N joined-inheritance objects, against the bulk restore of N rows.

Not a test: prints numbers. Usage: python tests/bench/bench_revert_joined.py [--server URL] [--rows N [N ...]]
[--runs N]
An SQLAlchemy-Continuum store on PostgreSQL holding bench_revert.py's ``article`` table and a joined hierarchy as
Continuum writes it: ``item`` (id, kind, title) and ``book`` (id -> item.id, isbn), each with its version table
(the indexes Continuum 2.0 creates). Transaction 1 inserts N articles, transaction 2 updates every article's name
(bench_revert.py's store), transaction 3 inserts N books, transaction 4 (the change set) changes every book's title
(the ``item`` row) and isbn (the ``book`` row). Then per run, on a fresh copy (CREATE DATABASE ... TEMPLATE),
alternating:
  revert        `chrono revert 4 --yes`: N objects, 2N live rows and 2N version rows written set-based, planned
                by the database (services/revert_set.py, services/revert_objects.py, shapes/undo_plan.py);
  bulk restore  `chrono restore article --at T1 --all-changed-since T2 --yes`: N plain rows, the reference a
                set-based write of N rows is measured against;
  book restore  (with --objects) `chrono restore book --at T3 --all-changed-since T4 --yes`: the same N objects
                restored set-based, a part per table of the hierarchy (services/bulk_joined.py; one by one,
                services/bulk_objects.py, before: 13.3 ms of CPU an object);
  item restore  (with --objects) `chrono restore item --at T3 --all-changed-since T4 --yes`: the same N objects
                restored from their root table (their item columns; their book rows versioned with them).
Each run leaves its own N rows back at their first state (checked). Row by row, a revert costs about 20-27 ms
of CPU per object.
"""

from __future__ import annotations

import argparse
from datetime import datetime

from bench_revert import SETUP, T1, T2, build, compare  # sibling scripts: the benchmarks run as scripts
from sqlalchemy import create_engine, text

T3 = datetime(2026, 1, 1, 11, 0, 0)  # transaction 3: the books inserted
T4 = datetime(2026, 1, 1, 12, 0, 0)  # transaction 4: every book changed (the change set to revert)
JOINED = [
    "CREATE TABLE item (id integer PRIMARY KEY, kind varchar(20), title varchar(255) NOT NULL)",
    "CREATE TABLE book (id integer PRIMARY KEY REFERENCES item (id), isbn varchar(20))",
    "CREATE TABLE item_version (id integer NOT NULL, kind varchar(20), title varchar(255), "
    "transaction_id bigint NOT NULL, end_transaction_id bigint, operation_type smallint NOT NULL, "
    "PRIMARY KEY (id, transaction_id))",
    "CREATE TABLE book_version (id integer NOT NULL, isbn varchar(20), transaction_id bigint NOT NULL, "
    "end_transaction_id bigint, operation_type smallint NOT NULL, PRIMARY KEY (id, transaction_id))",
    "INSERT INTO item SELECT b, 'book', 'book ' || b || ' v2' FROM generate_series(1, :rows) b",
    "INSERT INTO book SELECT b, 'isbn-' || b || '-2' FROM generate_series(1, :rows) b",
    "INSERT INTO item_version SELECT b, 'book', 'book ' || b || ' v1', 3, 4, 0 FROM generate_series(1, :rows) b",
    "INSERT INTO item_version SELECT b, 'book', 'book ' || b || ' v2', 4, NULL, 1 FROM generate_series(1, :rows) b",
    "INSERT INTO book_version SELECT b, 'isbn-' || b || '-1', 3, 4, 0 FROM generate_series(1, :rows) b",
    "INSERT INTO book_version SELECT b, 'isbn-' || b || '-2', 4, NULL, 1 FROM generate_series(1, :rows) b",
    "INSERT INTO \"transaction\" VALUES (3, :t3, '10.0.0.3'), (4, :t4, '10.0.0.4')",
    "SELECT setval('transaction_id_seq', 4)",
    *(f"CREATE INDEX ix_{t}_version_{c} ON {t}_version ({c})" for t in ("item", "book")
      for c in ("transaction_id", "end_transaction_id", "operation_type")),
    *(f"CREATE INDEX ix_{t}_version_pk_validity ON {t}_version (id, transaction_id, end_transaction_id)"
      for t in ("item", "book")),
]
RESTORE = ("restore", "article", "--at", T1.isoformat() + "Z", "--all-changed-since", T2.isoformat() + "Z")


def back(url: str) -> str:
    """Whether the run left its own N rows (every book, every book's item row, or every article) back at their
    first state and the others as they were: "yes" for every run of any kind."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM article")).scalar()
        books = conn.execute(text("SELECT count(*) FROM item JOIN book USING (id) WHERE title LIKE '% v1' "
                                  "AND isbn LIKE '%-1'")).scalar()
        roots = conn.execute(text("SELECT count(*) FROM item JOIN book USING (id) WHERE title LIKE '% v1' "
                                  "AND isbn LIKE '%-2'")).scalar()
        articles = conn.execute(text("SELECT count(*) FROM article WHERE name LIKE '% v1'")).scalar()
    engine.dispose()
    done = (books, roots, articles)
    return "yes" if done in ((rows, 0, 0), (0, rows, 0), (0, 0, rows)) else \
        f"no: {books} books, {roots} root rows, {articles} articles"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--server", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--objects", action="store_true", help="also the bulk restore of the books")
    args = parser.parse_args()
    books = ("restore", "book", "--at", T3.isoformat() + "Z", "--all-changed-since", T4.isoformat() + "Z")
    items = ("restore", "item", *books[2:])
    for rows in args.rows:
        template = build(args.server, rows, SETUP + JOINED, params={"t3": T3, "t4": T4})
        compare(args.server, "continuum joined", rows, args.runs, template,
                {"revert": ("revert", "4"), "bulk restore": RESTORE,
                 **({"book restore": books, "item restore": items} if args.objects else {})}, back)


if __name__ == "__main__":
    main()
