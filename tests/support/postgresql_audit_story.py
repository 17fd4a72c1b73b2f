"""A postgresql-audit (PyPI, 0.18.0) story written by the library, and its reading through the library.

Run in a subprocess (the library's ``versioning_manager`` listens on every mapper and session of the process)::

    python -m tests.support.postgresql_audit_story URL OUT.json [--build] [--save TABLE KEY] [--actor NAME]

``--build`` creates the tables the way the library documents (``configure_mappers()`` before ``create_all()``,
``transaction``/``activity`` first) and runs the story: inserts, two updates of one row in one transaction,
a change made with no actor (``transaction_id`` NULL), a delete and a re-creation of one key, a record deleted
for good, a no-op update
and an update of the excluded column only (the library writes no activity for either), NULLs, unicode, numeric,
JSON and timestamps with offsets. The actor is set the library's way (``versioning_manager.values``).

The reading is the library's own: ``Activity`` rows of each record in id order, ``Activity.data`` (= old_data
|| changed_data) as the state after the change, none after a delete; version = the activity's
``native_transaction_id``, at = ``issued_at`` (naive UTC), actor = its ``transaction.actor_id``. The record
has the shape of tests/conformance/readers.py. ``--save``: one ordinary save of that record (actor
``carol``) and the timelines read again. ``"newest"``: the newest activity and its transaction row
(verb, actor_id, client_addr, transaction_id). Nothing here imports ``chrono_cli``.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from postgresql_audit import versioning_manager
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Session, configure_mappers

COLUMNS = ("id", "name", "price", "published_at", "meta", "note", "views")


class Base(DeclarativeBase):
    pass


versioning_manager.init(Base)
Activity = versioning_manager.activity_cls


class Article(Base):
    __tablename__ = "article"
    __versioned__ = {"exclude": ["views"]}

    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(80), nullable=False)
    price = sa.Column(sa.Numeric(10, 2))
    published_at = sa.Column(sa.DateTime(timezone=True))
    meta = sa.Column(JSONB)
    note = sa.Column(sa.Text)
    views = sa.Column(sa.Integer, nullable=False, default=0, server_default="0")


class Tag(Base):
    __tablename__ = "tag"
    __versioned__: dict[str, Any] = {}

    id = sa.Column(sa.Integer, primary_key=True)
    label = sa.Column(sa.String(40), nullable=False)


MODELS = {"article": (Article, COLUMNS), "tag": (Tag, ("id", "label"))}
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone(timedelta(hours=2)))


def _acting(actor: str | None, addr: str | None = "203.0.113.5") -> None:
    versioning_manager.values = {k: v for k, v in (("actor_id", actor), ("client_addr", addr)) if v is not None}


def build(engine: sa.Engine) -> dict[str, Any]:
    """The story, one session per transaction; returns what it did."""
    configure_mappers()  # registers the audit_table() calls and transaction.actor_id before create_all
    Base.metadata.create_all(engine, tables=[versioning_manager.transaction_cls.__table__, Activity.__table__])
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        _acting("alice")
        s.add_all([Article(id=1, name="First", price=Decimal("12.30"), published_at=T0, meta={"tags": ["a"]},
                           note="draft"),
                   Article(id=2, name="Second", price=Decimal("5.00"), published_at=None, meta=None, note=None),
                   Article(id=3, name="Third", price=Decimal("0.99"), note="to be deleted"),
                   Tag(id=1, label="news")])
        s.commit()
    with Session(engine) as s:  # two updates of one row in one transaction: two activities, one transaction
        _acting("bob")
        a = s.get(Article, 1)
        assert a is not None
        a.name = "Fïrst ünïcode ✓"
        a.price = Decimal("13.50")
        s.flush()
        a.meta = {"tags": ["a", "b"], "n": 1.5}
        a.published_at = T0 + timedelta(days=1)
        s.commit()
    with Session(engine) as s:  # outside a request: no transaction row, transaction_id NULL
        _acting(None, None)
        a = s.get(Article, 1)
        assert a is not None
        a.note = None
        s.commit()
    with Session(engine) as s:
        _acting("alice")
        s.delete(s.get(Article, 2))
        tag = s.get(Tag, 1)
        assert tag is not None
        tag.label = "breaking news"
        s.commit()
    with Session(engine) as s:  # the key re-created
        _acting("bob")
        s.add(Article(id=2, name="Second again", price=Decimal("7.25"), note="back"))
        s.commit()
    with Session(engine) as s:  # a no-op update and an update of the excluded column: no activity
        _acting("alice")
        a = s.get(Article, 1)
        assert a is not None
        s.execute(sa.update(Article).where(Article.id == 1).values(name=a.name))
        a.views = 42
        s.commit()
    with Session(engine) as s:  # deleted for good (undelete)
        _acting("bob")
        s.delete(s.get(Article, 3))
        s.commit()
    _acting(None, None)
    return {"story": "postgresql_audit"}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _key(activity: Any) -> str:
    return str(activity.data.get("id"))


def read(engine: sa.Engine) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every record's activities through the library's Activity model, and the live rows."""
    timelines: dict[str, Any] = {}
    live: dict[str, Any] = {}
    with Session(engine) as s:
        for table, (model, columns) in MODELS.items():
            out: dict[str, list[dict[str, Any]]] = {}
            for act in s.scalars(sa.select(Activity).where(Activity.table_name == table).order_by(Activity.id)):
                tx = act.transaction
                out.setdefault(_key(act), []).append({
                    "version": int(act.native_transaction_id), "op": act.verb,
                    "values": None if act.verb == "delete" else dict(act.data),
                    "at": act.issued_at.isoformat() + "+00:00", "actor": None if tx is None else tx.actor_id})
            timelines[table] = out
            live[table] = {}
            for key in out:
                obj = s.get(model, int(key))
                live[table][key] = None if obj is None else {c: _plain(getattr(obj, c)) for c in columns}
    return timelines, live


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--build", action="store_true")
    parser.add_argument("--save", nargs=2)
    args = parser.parse_args()
    engine = sa.create_engine(args.url)
    configure_mappers()
    record: dict[str, Any] = {}
    if args.build:
        record["story"] = build(engine)
    timelines, live = read(engine)
    record.update({"timelines": timelines, "live": live, "saved": None, "after": None})
    if args.save:
        table, key = args.save
        with Session(engine) as s:
            _acting("carol")
            obj = s.get(MODELS[table][0], int(key))
            assert obj is not None
            field = "name" if table == "article" else "label"
            setattr(obj, field, getattr(obj, field) + " (saved)")
            s.commit()
            record["saved"] = {field: getattr(obj, field)}
        record["after"] = read(engine)[0]
    with Session(engine) as s:
        newest = s.scalars(sa.select(Activity).order_by(Activity.id.desc()).limit(1)).first()
        tx = None if newest is None else newest.transaction
        record["newest"] = None if newest is None else {
            "table": newest.table_name, "verb": newest.verb, "actor": None if tx is None else tx.actor_id,
            "client_addr": None if tx is None else str(tx.client_addr), "transaction_id": newest.transaction_id}
    engine.dispose()
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(record, f, default=_plain)


if __name__ == "__main__":
    main()
