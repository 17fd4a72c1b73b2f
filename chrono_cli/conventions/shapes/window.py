"""Time windows on stored time columns, for change listings (``changes --since/--until``) and bulk writes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Column, LargeBinary, String, and_, case, func, literal, or_, select, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.base import EventQuery
from chrono_cli.conventions.rows import zone
from chrono_cli.conventions.types import has_timezone


def time_pair(column: Column[Any], value: datetime, tz_name: str | None, dialect: str = "", *,
              exact: bool = False) -> tuple[Any, Any]:
    """``column`` and ``value`` in a form they compare correctly (naive columns in their own zone; SQLite text
    times in one sortable text form, whatever format the writer chose). ``exact``: the SQLite column holds only
    text already in that form (``sqlite_exact``), so it is compared as it is, byte for byte as ``sqlite_time``
    compares it, with no expression per row (and an index on it can serve)."""
    naive = value if has_timezone(column.type) else value.astimezone(zone(tz_name)).replace(tzinfo=None)
    if dialect == "sqlite":
        # BINARY, as sqlite_time's expression compares: a column's own collation (RTRIM) could differ
        stored = type_coerce(column, String).collate("BINARY") if exact else sqlite_time(column)
        return stored, sqlite_time_value(naive)
    return column, naive


_EXACT = "____-__-__ __:__:__.______"  # LIKE: 26 characters, the separators of YYYY-MM-DD HH:MM:SS.ffffff


def sqlite_exact(conn: Connection, column: Column[Any]) -> bool:
    """Every value of the SQLite time column ``column`` (NULLs aside) is text ``sqlite_time`` keeps as it is: no
    number, no blob (which sorts after any text), no text of another form. One pass over the column (its index,
    where there is one); true only for what the database holds when asked."""
    text = type_coerce(column, String)
    odd = select(literal(1)).select_from(column.table).where(
        or_(text.not_like(_EXACT), column >= literal(b"", LargeBinary))).limit(1)
    return conn.execute(odd).first() is None


def sqlite_time_value(value: date) -> ColumnElement[str]:
    """A time or a date as ``sqlite_time`` puts stored text (an aware time in UTC, a date at midnight)."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    elif value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return literal(value.isoformat(" ", "microseconds"))


def sqlite_time(column: Any) -> ColumnElement[str]:
    """A SQLite text time in one form that sorts as time does: ``YYYY-MM-DD HH:MM:SS.ffffff``. Text already in that
    form (as SQLAlchemy, Django and Rails write it) is itself, so exact to the microsecond: SQLite's own date
    functions keep milliseconds only, and two changes 0.4 ms apart would be one moment, a change just after a time
    at it. Other forms (a ``T``, an offset, fewer digits) are read by ``strftime``, in UTC, to the millisecond."""
    canonical = and_(func.length(column) == 26, func.substr(column, 20, 1) == ".", func.substr(column, 11, 1) == " ")
    return case((canonical, column), else_=func.strftime("%Y-%m-%d %H:%M:%f", column).op("||")("000"))


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
