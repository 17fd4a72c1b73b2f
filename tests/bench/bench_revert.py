"""Benchmark: `chrono revert` of one change set of N updated rows, against the bulk restore of the same rows.

Not a test: prints numbers. Usage: python tests/bench/bench_revert.py [--server URL] [--rows N [N ...]] [--runs N]
[--store continuum|continuum-links|history-meta ...]
continuum: an SQLAlchemy-Continuum store on PostgreSQL (article / article_version / "transaction", the indexes
Continuum 2.0 creates): transaction 1 inserts N articles, transaction 2 (the change set) updates every one of
them. continuum-links: the same, with a versioned association table (article_tag / article_tag_version, as
Continuum's execute hook writes it) to which transaction 2 also adds one link per article: the revert restores the
N articles and deletes the N links (the bulk restore, the articles only: both end with the same articles).
history-meta: SQLAlchemy's history_meta example (article with its version, article_history keyed by id and
version, no index on changed, as the example makes it): N articles, each updated once at T2 plus a microsecond per
row, so the change set is inferred (@<ms>w5, one actor, changes close in time). Then per run, on a fresh copy
(CREATE DATABASE ... TEMPLATE), alternating:
  revert        `chrono revert ID --yes` end to end (a subprocess: wall time, CPU time, peak RSS);
  bulk restore  `chrono restore article --at T1 --all-changed-since T2 --yes`, the same writes done set-based
                (every article back to its state before the change set).
Both end with the same live rows (checked). The goal of issue 15 is revert within 2x of the bulk restore at
100,000 rows: both change sets revert set-based (services/revert_set.py), every row a plain restore the database
plans (shapes/undo_plan.py). Prints wall and CPU medians and both ratios; CPU time is the figure a loaded machine
does not distort.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from bench_bulk_restore import run_cli  # a sibling script: the benchmarks run as scripts
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

T1 = datetime(2026, 1, 1, 9, 0, 0)  # transaction 1: the articles inserted
T2 = datetime(2026, 1, 1, 10, 0, 0)  # transaction 2: every article updated (the change set to revert)
SETUP = [
    "CREATE TABLE article (id integer PRIMARY KEY, name varchar(255) NOT NULL)",
    "CREATE TABLE article_version (id integer NOT NULL, name varchar(255), transaction_id bigint NOT NULL, "
    "end_transaction_id bigint, operation_type smallint NOT NULL, PRIMARY KEY (id, transaction_id))",
    'CREATE TABLE "transaction" (id bigint PRIMARY KEY, issued_at timestamp, remote_addr varchar(50))',
    "CREATE SEQUENCE transaction_id_seq",
    "INSERT INTO article SELECT a, 'article ' || a || ' v2' FROM generate_series(1, :rows) a",
    "INSERT INTO article_version SELECT a, 'article ' || a || ' v1', 1, 2, 0 FROM generate_series(1, :rows) a",
    "INSERT INTO article_version SELECT a, 'article ' || a || ' v2', 2, NULL, 1 FROM generate_series(1, :rows) a",
    "INSERT INTO \"transaction\" VALUES (1, :t1, '10.0.0.1'), (2, :t2, '10.0.0.2')",
    "SELECT setval('transaction_id_seq', 2)",
    "CREATE INDEX ix_article_version_transaction_id ON article_version (transaction_id)",
    "CREATE INDEX ix_article_version_end_transaction_id ON article_version (end_transaction_id)",
    "CREATE INDEX ix_article_version_operation_type ON article_version (operation_type)",
    "CREATE INDEX ix_article_version_pk_transaction_id ON article_version (id, transaction_id DESC)",
    "CREATE INDEX ix_article_version_pk_validity ON article_version (id, transaction_id, end_transaction_id)",
]
LINKS = [
    "CREATE TABLE tag (id integer PRIMARY KEY, name varchar(30))",
    "CREATE TABLE article_tag (article_id integer REFERENCES article (id), tag_id integer REFERENCES tag (id), "
    "PRIMARY KEY (article_id, tag_id))",
    "CREATE TABLE article_tag_version (article_id integer NOT NULL, tag_id integer NOT NULL, "
    "transaction_id bigint NOT NULL, end_transaction_id bigint, operation_type smallint NOT NULL, "
    "PRIMARY KEY (article_id, tag_id, transaction_id))",
    "INSERT INTO tag VALUES (1, 'news')",
    "INSERT INTO article_tag SELECT a, 1 FROM generate_series(1, :rows) a",
    "INSERT INTO article_tag_version SELECT a, 1, 2, NULL, 0 FROM generate_series(1, :rows) a",
    "CREATE INDEX ix_article_tag_version_transaction_id ON article_tag_version (transaction_id)",
]
HISTORY_META = [
    "CREATE TABLE article (id integer PRIMARY KEY, name varchar(255) NOT NULL, version integer NOT NULL)",
    "CREATE TABLE article_history (id integer NOT NULL, name varchar(255) NOT NULL, version integer NOT NULL, "
    "changed timestamp without time zone, PRIMARY KEY (id, version))",
    "INSERT INTO article SELECT a, 'article ' || a || ' v2', 2 FROM generate_series(1, :rows) a",
    "INSERT INTO article_history SELECT a, 'article ' || a || ' v1', 1, "
    "CAST(:t2 AS timestamp) + a * interval '1 microsecond' FROM generate_series(1, :rows) a",
]
STORES = {"continuum": SETUP, "continuum-links": SETUP + LINKS, "history-meta": HISTORY_META}


def url_for(server: str, name: str) -> str:
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def admin(server: str, statement: str) -> None:
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))  # generated identifiers only
    engine.dispose()


def build(server: str, rows: int, statements: Sequence[str], prepare: Callable[[str], None] | None = None,
          params: Mapping[str, object] | None = None) -> str:
    """A template database made by ``statements`` (parameters: rows, t1, t2, and ``params``), after
    ``prepare(url)`` (a schema made by other means)."""
    name = f"chrono_bench_revert_{uuid.uuid4().hex[:8]}"
    admin(server, f"CREATE DATABASE {name}")
    if prepare is not None:
        prepare(url_for(server, name))
    engine = create_engine(url_for(server, name))
    with engine.begin() as conn:
        for stmt in statements:
            conn.execute(text(stmt), {"rows": rows, "t1": T1, "t2": T2, **(params or {})})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    return name


def checksum(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, name FROM article ORDER BY id")).all()
    engine.dispose()
    return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()


RESTORE = ("restore", "article", "--at", T1.isoformat() + "Z", "--all-changed-since", T2.isoformat() + "Z")


def kinds(store: str, rows: int) -> dict[str, tuple[str, ...]]:
    """The two runs: the revert of the change set (a transaction id, or the inferred id of the newest change)."""
    newest = T2 + timedelta(microseconds=rows) - datetime(1970, 1, 1)  # naive UTC, as stored
    ident = "2" if store.startswith("continuum") else f"@{newest // timedelta(milliseconds=1)}w5"
    return {"revert": ("revert", ident), "bulk restore": RESTORE}


def bench(server: str, rows: int, runs: int, store: str) -> None:
    print(f"{store}: building {rows:,} articles x 2 versions ... ({datetime.now(UTC):%H:%M:%S})", flush=True)
    compare(server, store, rows, runs, build(server, rows, STORES[store]), kinds(store, rows))


def compare(server: str, label: str, rows: int, runs: int, template: str, runs_of: Mapping[str, tuple[str, ...]],
            same: Callable[[str], str] = checksum) -> None:
    """Run the CLI with each of ``runs_of`` (a revert and a bulk restore) ``runs`` times, alternating, each on a
    fresh copy of ``template`` (dropped at the end); print the medians, the ratios and whether every run left the
    same rows (``same``: a digest of them)."""
    try:
        results: dict[str, list[tuple[float, float, float]]] = {k: [] for k in runs_of}
        sums = set()
        for _ in range(runs):
            for kind, args in runs_of.items():
                name = f"{template}_c{uuid.uuid4().hex[:6]}"
                admin(server, f"CREATE DATABASE {name} TEMPLATE {template}")
                try:
                    results[kind].append(run_cli(url_for(server, name), *args))
                    sums.add(same(url_for(server, name)))
                finally:
                    admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        print(
            f"{label}: rows {rows:,}; runs {runs}; same final rows both ways: {len(sums) == 1}; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        wall = {k: statistics.median(r[0] for r in v) for k, v in results.items()}
        for kind, values in results.items():
            print(
                f"  {kind:13s} median {wall[kind]:7.2f} s wall, {statistics.median(r[1] for r in values):7.2f} s CPU, "
                f"peak RSS {max(r[2] for r in values):.0f} MiB"
            )
        cpu = {k: statistics.median(r[1] for r in v) for k, v in results.items()}
        for kind in (k for k in results if k != "bulk restore"):
            print(f"  ratio {kind} / bulk restore: {wall[kind] / wall['bulk restore']:.2f}x wall, "
                  f"{cpu[kind] / cpu['bulk restore']:.2f}x CPU", flush=True)
    finally:
        admin(server, f"DROP DATABASE IF EXISTS {template} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--server", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--store", choices=list(STORES), nargs="+", default=list(STORES))
    args = parser.parse_args()
    for store in args.store:
        for rows in args.rows:
            bench(args.server, rows, args.runs, store)


if __name__ == "__main__":
    main()
