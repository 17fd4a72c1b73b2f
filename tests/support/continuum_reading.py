"""Read every object's versions of a Continuum story database through Continuum, optionally after one save.

Run in a subprocess (Continuum's ``make_versioned()`` is process-global)::

    python -m tests.support.continuum_reading URL OUT.json [--strategy validity|subquery] [--no-user] [--native]
                                                           [--save TABLE KEY] [--build]

The conformance suite's library reading (tests/conformance): for each of ``article`` and ``tag``, every
key that has version rows, read with the version class Continuum maps (``version_class(Model)``), ordered
by transaction. The record::

    {"timelines": {"article": {"1": [{"version": 1, "op": "insert", "values": {...} | null,
                                      "at": "2026-...", "actor": "alice" | null, "reason": "..." | null}, ...]}},
     "live": {"article": {"1": {...} | null}},      # the base row through the ORM (None: deleted)
     "saved": {"name": "First! (saved)"} | null,    # what the save (--save) set
     "after": {...} | null}                         # timelines again after the save

A version's values are its versioned attributes (no ``*_mod`` flags, no transaction columns) plus the
article's tag ids as Continuum's version relationship ``version.tags`` reads them; a delete version has
none (``null``). ``at`` is the version's ``transaction.issued_at``, ``actor`` its ``transaction.user``'s
username, ``reason`` the TransactionMeta value under ``reason`` (else ``comment``). The options must be the
story's. ``--build`` first runs the story (``continuum_story.build``, same options) in this process and adds
its record under ``"story"``: one interpreter start instead of two. Nothing here imports ``chrono_cli``.
"""

from __future__ import annotations

import argparse
import functools
import json
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

INTERNAL = {"transaction_id", "end_transaction_id", "operation_type"}
OPS = {0: "insert", 1: "update", 2: "delete"}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def run(url: str, save: tuple[str, str] | None, *, strategy: str = "validity", user: bool = True,
        native: bool = False) -> dict[str, Any]:
    """Read every version of every article and tag with Continuum; save one object; read again."""
    from sqlalchemy_continuum import version_class

    from tests.support.continuum_story import models

    m = models(strategy=strategy, user=user, native=native, joined=False, tracker=True)  # the story's call, for --build
    classes = {"article": m.Article, "tag": m.Tag}
    engine = sa.create_engine(url)

    def attrs(vcls: Any) -> list[str]:
        return [p.key for p in sa.inspect(vcls).column_attrs if p.key not in INTERNAL and not p.key.endswith("_mod")]

    def read() -> tuple[dict[str, Any], dict[str, Any]]:
        timelines: dict[str, Any] = {}
        live: dict[str, Any] = {}
        with Session(engine) as s:
            for table, cls in classes.items():
                vcls = version_class(cls)
                names = attrs(vcls)
                out: dict[str, list[dict[str, Any]]] = {}
                for v in s.scalars(sa.select(vcls).order_by(vcls.id, vcls.transaction_id)):
                    values = None
                    if v.operation_type != 2:
                        values = {a: _plain(getattr(v, a)) for a in names}
                        if table == "article":
                            values["tag"] = sorted(t.id for t in v.tags)
                    tx = v.transaction
                    meta = dict(tx.meta)
                    out.setdefault(str(v.id), []).append(
                        {"version": v.transaction_id, "op": OPS[v.operation_type], "values": values,
                         "at": tx.issued_at.isoformat(), "actor": tx.user.username if user and tx.user else None,
                         "reason": meta.get("reason") or meta.get("comment")})
                timelines[table] = out
                base = [c.key for c in sa.inspect(cls).column_attrs]
                live[table] = {}
                for key in out:
                    obj = s.get(cls, int(key))
                    live[table][key] = None if obj is None else {a: _plain(getattr(obj, a)) for a in base}
        return timelines, live

    timelines, live = read()
    record: dict[str, Any] = {"timelines": timelines, "live": live, "saved": None, "after": None}
    if save is not None:
        table, key = save
        with Session(engine) as s:
            obj = s.get(classes[table], int(key))
            obj.name = obj.name + " (saved)"
            s.commit()
            record["saved"] = {"name": obj.name}
        record["after"] = read()[0]
    engine.dispose()
    return record


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--strategy", default="validity")
    parser.add_argument("--no-user", action="store_true")
    parser.add_argument("--native", action="store_true")
    parser.add_argument("--save", nargs=2, metavar=("TABLE", "KEY"))
    parser.add_argument("--build", action="store_true")
    args = parser.parse_args()
    story = None
    if args.build:
        from tests.support import continuum_story

        # models() declares the classes once per process: the story and the reading must share them
        continuum_story.models = functools.cache(continuum_story.models)  # type: ignore[method-assign]
        story = continuum_story.build(args.url, strategy=args.strategy, user=not args.no_user, native=args.native)
    record = run(args.url, tuple(args.save) if args.save else None, strategy=args.strategy, user=not args.no_user,
                 native=args.native)
    record["story"] = story
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1)


if __name__ == "__main__":
    main()
