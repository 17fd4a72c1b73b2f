"""Row-level helpers shared by adapters: key predicates, live-row fetches, time normalisation."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, Table, and_, select
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.db.engine import tracked
from chrono_cli.errors import ConfigError
from chrono_cli.model import RowKey


def key_where(table: Table, key: RowKey) -> ColumnElement[bool]:
    """``col1 = :v1 AND col2 = :v2`` for the key's columns."""
    return and_(*(table.c[name] == value for name, value in key.items))


def fetch_live(conn: Connection, table: Table, key: RowKey) -> dict[str, Any] | None:
    """The live row for ``key`` as a dict, or None."""
    row = conn.execute(select(table).where(key_where(table, key))).mappings().first()
    return dict(row) if row is not None else None


STREAM_BATCH = 1000  # rows fetched per round trip when a history is streamed


def streamed(conn: Connection, query: Select[Any]) -> Iterator[RowMapping]:
    """A query's rows as the server sends them, never all in memory: PostgreSQL's server-side cursor and SQLite's
    own stepping cursor both let other statements run on the connection meanwhile. MariaDB's unbuffered result
    would block the connection until read to the end, so there the rows are buffered by the driver."""
    if conn.dialect.name in ("postgresql", "sqlite"):
        query = query.execution_options(stream_results=True, yield_per=STREAM_BATCH)
    with conn.execute(query) as result, tracked(conn, result):
        yield from result.mappings()


def zone(name: str | None) -> Any:
    """A tzinfo for a configured zone name (UTC by default)."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"unknown time zone in config: {name}") from exc


def as_utc(value: Any, tz_name: str | None = None) -> datetime | None:
    """A stored time as an aware UTC datetime; naive values are read in ``tz_name`` (default UTC)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return None
    moment: datetime = value if value.tzinfo is not None else value.replace(tzinfo=zone(tz_name))
    return moment.astimezone(UTC)


def utc_reader(tz_name: str | None = None) -> Callable[[Any], datetime | None]:
    """``as_utc`` for the many values of one column: where naive values are UTC, one ``replace`` each."""
    if zone(tz_name) is not UTC:
        return partial(as_utc, tz_name=tz_name)

    def read(value: Any) -> datetime | None:
        if type(value) is datetime and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return as_utc(value)

    return read


def pick(row: Mapping[str, Any], columns: list[str]) -> dict[str, Any]:
    """The named columns of a row, in that order."""
    return {c: row[c] for c in columns if c in row}


def holds(conn: Connection, table: Table, column: str, value: Any) -> bool:
    """Whether any row of ``table`` has ``column = value`` (one indexed-if-possible probe)."""
    return conn.execute(select(table.c[column]).where(table.c[column] == value).limit(1)).first() is not None


def count(conn: Connection, table: Table, where: ColumnElement[bool] | None = None) -> int:
    """Number of rows (matching ``where``)."""
    from sqlalchemy import func

    query = select(func.count()).select_from(table)
    if where is not None:
        query = query.where(where)
    return int(conn.execute(query).scalar_one())
