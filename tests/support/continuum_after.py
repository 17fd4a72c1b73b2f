"""Read a Continuum story database back through Continuum's own API, then make one ordinary ORM save.

Run in a subprocess after chrono wrote to a database built by ``continuum_story``::

    python -m tests.support.continuum_after URL OUT.json [--no-user] [--native] [--save ID]

Models are the story's (same names, options and plugins). The record::

    {"before": {"1": [{"tx": 1, "op": 0, "changeset": {...}, "end": 3}, ...]},   # obj.versions per article
     "after":  {...},                              # the same after the save (--save ID)
     "open":   {"1": 1},                           # version rows with end_transaction_id NULL, per article
     "saved":  {"name": "..."} | null}

Nothing here imports ``chrono_cli``.
"""

from __future__ import annotations

import argparse
import json
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def run(url: str, *, user: bool, native: bool, save: int | None) -> dict[str, Any]:
    """Read every article's versions, save one article through the ORM, read again."""
    from tests.support.continuum_story import models

    Base, Article, Tag, _, _ = models(strategy="validity", user=user, native=native)
    engine = sa.create_engine(url)
    from sqlalchemy_continuum import version_class

    version_table = version_class(Article).__table__

    def read() -> dict[str, Any]:
        out: dict[str, Any] = {}
        with Session(engine) as s:
            for a in s.scalars(sa.select(Article).order_by(Article.id)):
                out[str(a.id)] = [{"tx": v.transaction_id, "op": v.operation_type, "end": v.end_transaction_id,
                                   "name": v.name, "content": v.content, "score": _plain(v.score),
                                   "changeset": {k: _plain(list(p)) for k, p in v.changeset.items()}}
                                  for v in a.versions]
        return out

    def open_rows() -> dict[str, int]:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(version_table.c.id, sa.func.count())
                                .where(version_table.c.end_transaction_id.is_(None))
                                .group_by(version_table.c.id)).all()
        return {str(k): n for k, n in rows}

    record: dict[str, Any] = {"before": read(), "after": None, "open": None, "saved": None}
    if save is not None:
        with Session(engine) as s:
            a = s.get(Article, save)
            a.name = a.name + " (saved)"
            s.commit()
            record["saved"] = {"name": a.name}
        record["after"] = read()
    record["open"] = open_rows()
    engine.dispose()
    return record


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--no-user", action="store_true")
    parser.add_argument("--native", action="store_true")
    parser.add_argument("--save", type=int)
    args = parser.parse_args()
    record = run(args.url, user=not args.no_user, native=args.native, save=args.save)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1)


if __name__ == "__main__":
    main()
