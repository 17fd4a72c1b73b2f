"""Small databases with history, written with plain SQLAlchemy Core (DDL + DML), for the CLI tests.

``build(url)`` creates, on SQLite or PostgreSQL:

* ``item`` / ``item_history`` in the shape of SQLAlchemy's history_meta example (base ``version INTEGER NOT
  NULL``; history = base columns + ``changed``, ``version`` in the primary key, rows hold OLD states):
  item 1 has four versions, item 2 was deleted after two, item 3 has ``LONG`` versions (for paging).
* ``note`` / ``note_history`` in Chrononaut 0.2's shape (``change_info`` JSON text with the actor and the
  rationale); ``note.secret`` is not copied into history, as Chrononaut does for hidden columns.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import Column, DateTime, Integer, MetaData, PrimaryKeyConstraint, String, Table, Text, create_engine

LONG = 60
T0 = datetime(2026, 11, 1, 9, 0, 0)

# item 1: (version, name, email, status) oldest first; the last one is the live row.
ITEM1 = [(1, "widget", "a@example.com", "new"),
         (2, "widget", "a@example.com", "active"),
         (3, "widget", "b@example.com", "active"),
         (4, "widget 2", "b@example.com", "active")]
ITEM2 = [(1, "gadget", "g@example.com", "new"),
         (2, "gadget", "g@example.com", "retired")]


def _tables(md: MetaData) -> tuple[Table, Table, Table, Table]:
    item = Table("item", md, Column("id", Integer, primary_key=True, autoincrement=False),
                 Column("name", String(50), nullable=False), Column("email", String(100)),
                 Column("status", String(20)), Column("version", Integer, nullable=False))
    item_history = Table("item_history", md, Column("id", Integer, nullable=False),
                         Column("name", String(50), nullable=False), Column("email", String(100)),
                         Column("status", String(20)), Column("version", Integer, nullable=False),
                         Column("changed", DateTime), PrimaryKeyConstraint("id", "version"))
    note = Table("note", md, Column("id", Integer, primary_key=True, autoincrement=False),
                 Column("title", String(200), nullable=False), Column("secret", String(50)),
                 Column("version", Integer))
    note_history = Table("note_history", md, Column("id", Integer, nullable=False),
                         Column("title", String(200), nullable=False), Column("version", Integer, nullable=False),
                         Column("changed", DateTime), Column("change_info", Text),
                         PrimaryKeyConstraint("id", "version"))
    return item, item_history, note, note_history


def _item_rows(item_id: int, states: list[tuple[int, str, str, str]], *, deleted: bool) -> tuple[list, list]:
    """History rows (every state but the live one, each closed at T0 + version hours) and the live row."""
    old = states if deleted else states[:-1]
    history = [{"id": item_id, "name": n, "email": e, "status": s, "version": v,
                "changed": T0 + timedelta(hours=v)} for v, n, e, s in old]
    live = [] if deleted else [dict(zip(("version", "name", "email", "status"), states[-1], strict=True),
                                    id=item_id)]
    return history, live


def build(url: str) -> str:
    """Create and fill the tables; returns ``url``."""
    engine = create_engine(url)
    md = MetaData()
    item, item_history, note, note_history = _tables(md)
    md.create_all(engine)
    long_states = [(v, "long", f"l{v}@example.com", "active") for v in range(1, LONG + 1)]
    with engine.begin() as conn:
        for item_id, states, deleted in ((1, ITEM1, False), (2, ITEM2, True), (3, long_states, False)):
            history, live = _item_rows(item_id, states, deleted=deleted)
            conn.execute(item_history.insert(), history)
            if live:
                conn.execute(item.insert(), live)
        # Chrononaut: history row v holds the state before v+1, and the change_info of the change that made v+1.
        conn.execute(note_history.insert(), [
            {"id": 1, "title": "draft", "version": 0, "changed": T0 + timedelta(days=1),
             "change_info": json.dumps({"user_id": "ada", "remote_addr": None, "extra": {"rationale": "fix title"}})},
            {"id": 1, "title": "final", "version": 1, "changed": T0 + timedelta(days=2),
             "change_info": json.dumps({"user_id": "bob", "remote_addr": None, "extra": {"rationale": "rotate"}})},
        ])
        conn.execute(note.insert(), [{"id": 1, "title": "final", "secret": "s3cret", "version": 2}])
    engine.dispose()
    return url
