"""Benchmark: `chrono revert` of one change set of N updated rows, against the bulk restore of the same rows.

Not a test: prints numbers. Usage: python tests/bench/bench_revert.py [--server URL] [--rows N [N ...]] [--runs N]
Builds an SQLAlchemy-Continuum store on PostgreSQL (article / article_version / "transaction", the indexes
Continuum 2.0 creates): transaction 1 inserts N articles, transaction 2 (the change set) updates every one of
them. Then per run, on a fresh copy (CREATE DATABASE ... TEMPLATE), alternating:
  revert        `chrono revert 2 --yes` end to end (a subprocess: wall time, CPU time, peak RSS);
  bulk restore  `chrono restore article --at T1 --all-changed-since T2 --yes`, the same writes done set-based
                (every article back to its state before transaction 2, one new transaction).
Both end with the same live rows (checked). The goal of issue 15 is revert within 2x of the bulk restore at
100,000 rows: the revert of this change set runs set-based (services/revert_set.py). Prints wall and CPU medians
and both ratios; CPU time is the figure a loaded machine does not distort.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import uuid
from datetime import UTC, datetime

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


def url_for(server: str, name: str) -> str:
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def admin(server: str, statement: str) -> None:
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))  # generated identifiers only
    engine.dispose()


def build(server: str, rows: int) -> str:
    name = f"chrono_bench_revert_{uuid.uuid4().hex[:8]}"
    admin(server, f"CREATE DATABASE {name}")
    engine = create_engine(url_for(server, name))
    with engine.begin() as conn:
        for stmt in SETUP:
            conn.execute(text(stmt), {"rows": rows, "t1": T1, "t2": T2})
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


KINDS = {
    "revert": ("revert", "2"),
    "bulk restore": ("restore", "article", "--at", T1.isoformat() + "Z", "--all-changed-since", T2.isoformat() + "Z"),
}


def bench(server: str, rows: int, runs: int) -> None:
    print(f"building {rows:,} articles x 2 versions ... ({datetime.now(UTC):%H:%M:%S})", flush=True)
    template = build(server, rows)
    try:
        results: dict[str, list[tuple[float, float, float]]] = {k: [] for k in KINDS}
        sums = set()
        for _ in range(runs):
            for kind, args in KINDS.items():
                name = f"{template}_c{uuid.uuid4().hex[:6]}"
                admin(server, f"CREATE DATABASE {name} TEMPLATE {template}")
                try:
                    results[kind].append(run_cli(url_for(server, name), *args))
                    sums.add(checksum(url_for(server, name)))
                finally:
                    admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        print(
            f"rows {rows:,}; runs {runs}; same final rows both ways: {len(sums) == 1}; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        wall = {k: statistics.median(r[0] for r in v) for k, v in results.items()}
        for kind, values in results.items():
            print(
                f"  {kind:13s} median {wall[kind]:7.2f} s wall, {statistics.median(r[1] for r in values):7.2f} s CPU, "
                f"peak RSS {max(r[2] for r in values):.0f} MiB"
            )
        cpu = {k: statistics.median(r[1] for r in v) for k, v in results.items()}
        print(f"  ratio revert / bulk restore: {wall['revert'] / wall['bulk restore']:.2f}x wall, "
              f"{cpu['revert'] / cpu['bulk restore']:.2f}x CPU", flush=True)
    finally:
        admin(server, f"DROP DATABASE IF EXISTS {template} WITH (FORCE)")


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
