"""The floor for a one-record read: what any Python tool must pay to answer `chrono history TABLE KEY`.

Not a test: bench_read.py runs it beside chrono. Usage:
    python tests/bench/floor_read.py URL LIVE HISTORY KEY_COLUMN KEY [--order COLUMN]

A history_meta record needs two point queries: the live row and the history rows of that key (the
rows every read command, history, show, diff and blame, is built from). This process imports SQLAlchemy
and the database's driver, connects, runs exactly those two queries and prints them as JSON: no
detection, no reflection, no command line parsing, no rendering beyond ``json.dumps``.
"""

from __future__ import annotations

import json
import sys

import sqlalchemy as sa


def read(url: str, live: str, history: str, key_column: str, key: str, order: str) -> dict[str, object]:
    engine = sa.create_engine(url)
    key_value: object = int(key) if key.lstrip("-").isdigit() else key
    with engine.connect() as conn:
        live_row = (
            conn.execute(sa.select(sa.text("*")).select_from(sa.table(live)).where(sa.column(key_column) == key_value))
            .mappings()
            .first()
        )
        versions = (
            conn.execute(
                sa.select(sa.text("*"))
                .select_from(sa.table(history))
                .where(sa.column(key_column) == key_value)
                .order_by(sa.column(order))
            )
            .mappings()
            .all()
        )
    engine.dispose()
    return {"live": dict(live_row) if live_row else None, "versions": [dict(v) for v in versions]}


def main(argv: list[str]) -> None:
    order = "version"
    if "--order" in argv:
        at = argv.index("--order")
        order = argv[at + 1]
        del argv[at : at + 2]
    url, live, history, key_column, key = argv
    json.dump(read(url, live, history, key_column, key, order), sys.stdout, default=str, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
