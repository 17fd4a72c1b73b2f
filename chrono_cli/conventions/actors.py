"""Who made a change: a stored user id, shown as the user's name when the user table has one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from chrono_cli.db import reflect
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.model import TableRef

DISPLAY_COLUMNS = ("username", "email", "name")  # first one present wins
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class UserLink:
    """A user-id column, the user table its foreign key points at, and the column shown for it."""

    column: str
    table: TableRef | None = None
    key: str | None = None
    display: str | None = None

    @property
    def described(self) -> str:
        if self.table is None or self.display is None:
            return f"{self.column} (shown as the id)"
        return f"{self.column} shown as {self.table.name}.{self.display}"


def user_link(info: TableInfo, column: str, snapshot: SchemaSnapshot | None = None) -> UserLink:
    """The foreign-key target of ``info.column``; ``display`` is known only if the target is in ``snapshot``."""
    for fk in info.foreign_keys:
        if fk.columns == (column,) and len(fk.referred_columns) == 1:
            target = snapshot.get(fk.referred) if snapshot is not None else None
            display = _display(target) if target is not None else None
            return UserLink(column, fk.referred, fk.referred_columns[0], display)
    return UserLink(column)


def _display(info: TableInfo) -> str | None:
    return next((c for c in DISPLAY_COLUMNS if c in info.columns), None)


def _target(conn: Connection, snapshot: SchemaSnapshot, ref: TableRef) -> TableInfo | None:
    return snapshot.get(ref) or reflect.reflect(conn, {ref.schema: [ref.name]}).get(ref)


def labels(conn: Connection, snapshot: SchemaSnapshot, link: UserLink, ids: Iterable[Any]) -> dict[Any, str]:
    """Actor text per user id: the user's display column (reflecting the user table if needed), else the id."""
    wanted = sorted({i for i in ids if i is not None}, key=str)
    out = {i: str(i) for i in wanted}
    if not wanted or link.table is None or link.key is None:
        return out
    info = _target(conn, snapshot, link.table)
    display = link.display or (_display(info) if info is not None else None)
    if info is None or display is None or link.key not in info.columns:
        return out
    users = info.table()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        rows = conn.execute(select(users.c[link.key], users.c[display]).where(users.c[link.key].in_(chunk))).all()
        for uid, shown in rows:
            if shown not in (None, ""):
                out[uid] = str(shown)
    return out
