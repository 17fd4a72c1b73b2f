"""Time windows on stored time columns, for change listings (``changes --since/--until``) and bulk writes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, and_, func
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.base import EventQuery
from chrono_cli.conventions.rows import zone
from chrono_cli.conventions.types import has_timezone


def time_pair(column: Column[Any], value: datetime, tz_name: str | None, dialect: str = "") -> tuple[Any, Any]:
    """``column`` and ``value`` in a form they compare correctly (naive columns in their own zone; SQLite text
    times as julian days, whatever format the writer chose)."""
    naive = value if has_timezone(column.type) else value.astimezone(zone(tz_name)).replace(tzinfo=None)
    if dialect == "sqlite":
        return func.julianday(column), func.julianday(naive.replace(tzinfo=None).isoformat(" "))
    return column, naive


def window(column: Column[Any], query: EventQuery, tz_name: str | None, dialect: str = "") -> ColumnElement[bool]:
    """The query's bounds on a stored time column (naive columns compared in their own zone)."""
    conds: list[ColumnElement[bool]] = [column.is_not(None)]
    if query.since is not None:
        col, value = time_pair(column, query.since, tz_name, dialect)
        conds.append(col >= value)
    if query.until is not None:
        col, value = time_pair(column, query.until, tz_name, dialect)
        conds.append(col <= value)
    if query.before is not None:
        col, value = time_pair(column, query.before, tz_name, dialect)
        conds.append(col < value)
    return and_(*conds)
