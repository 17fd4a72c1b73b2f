"""Read a Continuum story database back through Continuum's own API, then make one ordinary ORM save.

Run in a subprocess after chrono wrote to a database built by ``continuum_story``::

    python -m tests.support.continuum_after URL OUT.json [--no-user] [--native] [--joined]
                                            [--model article|tag|item|book] [--save ID]

Models are the story's (same names, options and plugins); ``--model`` picks the class read and saved
(default ``article``). The record::

    {"before": {"1": [{"tx": 1, "op": 0, "end": 3, "name": ..., ..., "changeset": {...}}, ...]},
                                                   # obj.versions per object of the model: every versioned
                                                   # attribute of the version object, plus changeset
     "after":  {...},                              # the same after the save (--save ID)
     "open":   {"1": 1},                           # version rows with end_transaction_id NULL, per object
     "open_tables": {"item_version": {"20": 1}, "book_version": {...}},   # the same for each version table
                                                   # of the class (joined inheritance: root first)
     "saved":  {"name": "..."} | null}             # the text attribute the save changed (name or title)

Nothing here imports ``chrono_cli``.
"""

from __future__ import annotations

import argparse
import json
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

INTERNAL = {"transaction_id", "end_transaction_id", "operation_type"}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def run(url: str, *, user: bool, native: bool, save: int | None, model: str = "article",
        joined: bool = False) -> dict[str, Any]:
    """Read every object's versions, save one object through the ORM, read again."""
    from tests.support.continuum_story import models

    m = models(strategy="validity", user=user, native=native, joined=joined)
    cls = {"article": m.Article, "tag": m.Tag, "item": m.Item, "book": m.Book}[model]
    text_attr = "title" if model in ("item", "book") else "name"
    engine = sa.create_engine(url)
    from sqlalchemy_continuum import version_class

    version_cls = version_class(cls)
    version_table = version_cls.__table__  # the class's own version table (a joined child's: book_version)
    attrs = [p.key for p in sa.inspect(version_cls).column_attrs
             if p.key not in INTERNAL and not p.key.endswith("_mod")]

    def read() -> dict[str, Any]:
        out: dict[str, Any] = {}
        with Session(engine) as s:
            for obj in s.scalars(sa.select(cls).order_by(cls.id)):
                out[str(obj.id)] = [{"tx": v.transaction_id, "op": v.operation_type, "end": v.end_transaction_id,
                                     **{a: _plain(getattr(v, a)) for a in attrs},
                                     "changeset": {k: _plain(list(p)) for k, p in v.changeset.items()}}
                                    for v in obj.versions]
        return out

    def open_rows(table: sa.Table) -> dict[str, int]:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(table.c.id, sa.func.count())
                                .where(table.c.end_transaction_id.is_(None))
                                .group_by(table.c.id)).all()
        return {str(k): n for k, n in rows}

    record: dict[str, Any] = {"before": read(), "after": None, "open": None, "saved": None}
    if save is not None:
        with Session(engine) as s:
            obj = s.get(cls, save)
            setattr(obj, text_attr, getattr(obj, text_attr) + " (saved)")
            s.commit()
            record["saved"] = {text_attr: getattr(obj, text_attr)}
        record["after"] = read()
    record["open"] = open_rows(version_table)
    record["open_tables"] = {t.name: open_rows(t) for t in sa.inspect(version_cls).tables}
    engine.dispose()
    return record


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--no-user", action="store_true")
    parser.add_argument("--native", action="store_true")
    parser.add_argument("--joined", action="store_true")
    parser.add_argument("--model", default="article", choices=["article", "tag", "item", "book"])
    parser.add_argument("--save", type=int)
    args = parser.parse_args()
    record = run(args.url, user=not args.no_user, native=args.native, save=args.save, model=args.model,
                 joined=args.joined)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1)


if __name__ == "__main__":
    main()
