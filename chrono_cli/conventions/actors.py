"""Who made a change: a stored user id, shown as the user's name when the user table has one."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Column, MetaData, Table, false, func, or_, select
from sqlalchemy import types as sqltypes
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.db import reflect
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.model import TableRef
from chrono_cli.records import Struct

DISPLAY_COLUMNS = ("username", "email", "name")  # first one present wins
_CHUNK = 500


class UserLink(Struct, frozen=True):
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


def target(conn: Connection, snapshot: SchemaSnapshot, ref: TableRef) -> TableInfo | None:
    """The users table a link names: from the snapshot, else reflected (once for the snapshot)."""
    return snapshot.get(ref) or snapshot.remember(
        ("table", ref), lambda: reflect.reflect(conn, {ref.schema: [ref.name]}).get(ref))


def labels(conn: Connection, snapshot: SchemaSnapshot, link: UserLink, ids: Iterable[Any]) -> dict[Any, str]:
    """Actor text per user id: the user's display column (reflecting the user table if needed), else the id."""
    wanted = sorted({i for i in ids if i is not None}, key=str)
    out = {i: str(i) for i in wanted}
    if not wanted or link.table is None or link.key is None:
        return out
    info = target(conn, snapshot, link.table)
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


def matches(wanted: str, actor: str | None, actor_id: Any = None) -> bool:
    """Whether a change by ``actor`` (the text shown) with user id ``actor_id`` is ``wanted``'s: the name
    compared case-insensitively (Unicode lowercase, as PostgreSQL's and MariaDB's ``lower``), or the id."""
    if actor is not None and actor.lower() == wanted.lower():
        return True
    return actor_id is not None and str(actor_id) == wanted


def condition(conn: Connection, snapshot: SchemaSnapshot, link: UserLink, column: Any,
              wanted: str) -> ColumnElement[bool] | None:
    """A SQL filter keeping at least every row whose user id ``column`` ``matches`` ``wanted`` (by id, or by the
    user's display column), or None where the database cannot say so exactly and the caller filters alone.

    SQLite's ``lower`` folds ASCII only, so names are matched in the database on PostgreSQL and MariaDB only.
    """
    ids: list[Any] = [wanted]
    if isinstance(column.type, sqltypes.Integer):
        ids = [int(wanted)] if re.fullmatch(r"-?[1-9][0-9]*|0", wanted) else []  # as str(id) prints it
    by_id = column.in_(ids) if ids else None
    if link.table is None or link.key is None:
        return by_id if by_id is not None else false()
    if conn.dialect.name not in ("postgresql", "mysql", "mariadb"):
        return None
    info = target(conn, snapshot, link.table)
    display = link.display or (_display(info) if info is not None else None)
    if info is None or display is None or link.key not in info.columns:
        return by_id if by_id is not None else false()
    users = info.table()
    by_name = column.in_(select(users.c[link.key]).where(func.lower(users.c[display]) == func.lower(wanted)))
    return by_name if by_id is None else or_(by_id, by_name)


def text_condition(conn: Connection, column: Any, wanted: str) -> ColumnElement[bool] | None:
    """A SQL filter keeping every row whose actor text ``column`` ``matches`` ``wanted`` (case-insensitively), or
    None on SQLite, whose ``lower`` folds ASCII only (the caller filters alone)."""
    if conn.dialect.name not in ("postgresql", "mysql", "mariadb"):
        return None
    return func.lower(column) == func.lower(wanted)


def find_user(conn: Connection, users_info: TableInfo, key: str, actor: str) -> Any:
    """The key of the one user row whose key, username, email or name is ``actor`` (as chrono displays it); None
    when no row, or several, match."""
    users = users_info.table()
    for column in (key, *(c for c in DISPLAY_COLUMNS if c in users_info.columns)):
        try:
            probe = users.c[column].type.python_type(actor) if column == key else actor
        except (ValueError, TypeError, NotImplementedError):
            continue
        found = conn.execute(select(users.c[key]).where(users.c[column] == probe).limit(2)).scalars().all()
        if len(found) == 1:
            return found[0]
    return None


def user_id(conn: Connection, holder: TableInfo, column: str, actor: str | None) -> Any:
    """The user key --actor names (the referenced user row must exist), else None."""
    if not actor:
        return None
    fk = next((f for f in holder.foreign_keys if f.columns == (column,)), None)
    if fk is None or len(fk.referred_columns) != 1:
        return None
    value: Any = actor
    pytype = getattr(holder.columns[column].type, "python_type", None) if column in holder.columns else None
    try:
        if pytype is int:
            value = int(actor)
    except (ValueError, NotImplementedError):
        return None
    users = Table(fk.referred.name, MetaData(), Column(fk.referred_columns[0]), schema=fk.referred.schema)
    pk = users.c[fk.referred_columns[0]]
    found = conn.execute(select(pk).where(pk == value).limit(1)).first()
    return None if found is None else found[0]
