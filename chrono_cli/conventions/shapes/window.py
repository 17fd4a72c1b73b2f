"""Time windows on stored time columns, for change listings (``changes --since/--until``) and bulk writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Column, Integer, and_, case, cast, func, literal
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.base import EventQuery
from chrono_cli.conventions.rows import zone
from chrono_cli.conventions.types import has_timezone

_EPOCH = datetime(1970, 1, 1)


def time_pair(column: Column[Any], value: datetime, tz_name: str | None, dialect: str = "") -> tuple[Any, Any]:
    """``column`` and ``value`` in a form they compare correctly (naive columns in their own zone; SQLite text
    times as microseconds since the epoch, whatever format the writer chose)."""
    naive = value if has_timezone(column.type) else value.astimezone(zone(tz_name)).replace(tzinfo=None)
    if dialect == "sqlite":
        if naive.tzinfo is not None:
            naive = naive.astimezone(UTC).replace(tzinfo=None)
        return sqlite_micros(column), literal((naive - _EPOCH) // timedelta(microseconds=1))
    return column, naive


def sqlite_micros(column: Any) -> ColumnElement[int]:
    """A SQLite text time as whole microseconds since the epoch (UTC where the text names its offset; a naive
    text as it is). Exact where the text has six fractional digits after the seconds, as SQLAlchemy, Django and
    Rails write it: SQLite's own date functions keep milliseconds only, so two changes 0.4 ms apart would be one
    moment, and a change just after a time would count as at it. Other forms: to the millisecond."""
    digits = func.substr(column, 21, 6)
    exact = and_(func.substr(column, 20, 1) == ".", digits.op("GLOB")("[0-9][0-9][0-9][0-9][0-9][0-9]"))
    whole = func.strftime("%s", func.substr(column, 1, 19).op("||")(func.substr(column, 27)))
    millis = cast(func.round(func.julianday(column) * 86_400_000), Integer) - 210_866_760_000_000  # its own unit
    return case((exact, cast(whole, Integer) * 1_000_000 + cast(digits, Integer)), else_=millis * 1000)


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
