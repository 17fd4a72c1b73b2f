"""Type predicates over reflected column types, dialect-neutral."""

from __future__ import annotations

from typing import Any

from sqlalchemy import types as sqltypes
from sqlalchemy.types import TypeEngine

from chrono_cli.db.reflect import ColumnInfo, TableInfo

T = TypeEngine[Any]


def is_integer(t: T) -> bool:
    return isinstance(t, sqltypes.Integer) and not is_boolean(t)


def is_boolean(t: T) -> bool:
    if isinstance(t, sqltypes.Boolean):
        return True
    # MySQL/MariaDB store BOOLEAN as TINYINT(1)
    return type(t).__name__ == "TINYINT" and getattr(t, "display_width", None) == 1


def is_timestamp(t: T) -> bool:
    return isinstance(t, sqltypes.DateTime)


def has_timezone(t: T) -> bool:
    return bool(getattr(t, "timezone", False))


def is_json(t: T) -> bool:
    return isinstance(t, sqltypes.JSON)


def is_text(t: T) -> bool:
    return isinstance(t, sqltypes.String)


def col(info: TableInfo, name: str) -> ColumnInfo | None:
    return info.columns.get(name)


def col_is(info: TableInfo, name: str, pred: Any) -> bool:
    c = info.columns.get(name)
    return c is not None and bool(pred(c.type))
