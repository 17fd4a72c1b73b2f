"""Values in write-sets: JSON form for plans, row fingerprints, time stamps, and 'does it still fit' checks."""

from __future__ import annotations

import enum
import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Table, cast, func, select
from sqlalchemy import types as sqltypes
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import CompileError
from sqlalchemy.types import TypeEngine

from chrono_cli.conventions.rows import zone
from chrono_cli.conventions.types import has_timezone, is_boolean, is_json
from chrono_cli.db.reflect import ColumnInfo
from chrono_cli.encoding import to_json

ABSENT = "absent"


def jsonable(value: Any) -> Any:
    """A value as JSON-native data for plans and fingerprints (enums by member name)."""
    return to_json(value, enum_by="name")


def fingerprint(row: Mapping[str, Any] | None) -> str:
    """A stable hash of a row's values, or "absent" when there is no row."""
    if row is None:
        return ABSENT
    text = json.dumps(jsonable(dict(row)), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def stamp(now: datetime, coltype: TypeEngine[Any], tz_name: str | None = None) -> datetime:
    """``now`` as a column stores it: aware UTC with a time zone, else the wall clock of ``tz_name`` (UTC)."""
    if has_timezone(coltype):
        return now.astimezone(UTC)
    return now.astimezone(zone(tz_name)).replace(tzinfo=None)


def fit(value: Any, column: ColumnInfo, tz_name: str | None = None, *,
        dialect: str = "") -> tuple[Any, str | None]:
    """``value`` made to fit ``column``, or a reason why it no longer fits (never a lossy conversion).

    SQLite does not enforce the length of VARCHAR(n), so a longer value fits there as it did when it was written.
    """
    t = column.type
    if value is None:
        return None, None if column.nullable else "NULL no longer fits (the column is NOT NULL)"
    try:
        return _fit(value, t, tz_name, lengths=dialect != "sqlite")
    except (ValueError, TypeError, InvalidOperation, ArithmeticError) as exc:
        why = f" ({exc})" if str(exc) else ""
        return value, f"{_short(value)} no longer fits {t}{why}"


def same_type(a: ColumnInfo, b: ColumnInfo, dialect: Dialect) -> bool:
    """The two columns have one type as the database names it: a value of one fits the other (NULL aside)."""
    try:
        return str(a.type.compile(dialect=dialect)) == str(b.type.compile(dialect=dialect))
    except CompileError:  # a type SQLAlchemy cannot name: check every value
        return False


def _fit(value: Any, t: TypeEngine[Any], tz_name: str | None, *, lengths: bool = True) -> tuple[Any, str | None]:
    if is_json(t) or isinstance(t, sqltypes.ARRAY | sqltypes.NullType):
        return value, None
    if is_boolean(t):
        if isinstance(value, bool):
            return value, None
        if value in (0, 1):
            return bool(value), None
        raise ValueError("not a boolean")
    if isinstance(t, sqltypes.Enum):
        name = value.name if isinstance(value, enum.Enum) else value
        if t.enums and name not in t.enums:
            raise ValueError(f"not one of {', '.join(t.enums)}")
        return name, None
    if isinstance(t, sqltypes.String):
        if not isinstance(value, str):
            raise ValueError("not text")
        if lengths and t.length and len(value) > t.length:
            return value, f"a {len(value)}-character value no longer fits {t} (longer than {t.length})"
        return value, None
    if isinstance(t, sqltypes.DateTime):
        if not isinstance(value, datetime):
            raise ValueError("not a timestamp")
        if has_timezone(t):
            return (value if value.tzinfo else value.replace(tzinfo=zone(tz_name))), None
        return (value.astimezone(zone(tz_name)).replace(tzinfo=None) if value.tzinfo else value), None
    if isinstance(t, sqltypes.Date):
        if isinstance(value, datetime):
            if value.time() != time(0):
                raise ValueError("a timestamp with a time of day")
            return value.date(), None
        if not isinstance(value, date):
            raise ValueError("not a date")
        return value, None
    if isinstance(t, sqltypes.Integer):
        if isinstance(value, bool) or not isinstance(value, int | Decimal | float) or int(value) != value:
            raise ValueError("not an integer")
        bound = 2**15 if isinstance(t, sqltypes.SmallInteger) else 2**63
        if not -bound <= int(value) < bound:
            raise ValueError("out of range")
        return int(value), None
    if isinstance(t, sqltypes.Numeric) and not isinstance(t, sqltypes.Float):
        d = value if isinstance(value, Decimal) else Decimal(str(value))
        scale, precision = getattr(t, "scale", None), getattr(t, "precision", None)
        if scale is not None:
            q = d.quantize(Decimal(1).scaleb(-scale))
            if q != d:
                return value, f"{d} no longer fits {t} (would be rounded to {q})"
            d = q
        if precision is not None and scale is not None and len(d.as_tuple().digits) > precision \
                and abs(d) >= Decimal(10) ** (precision - scale):
            return value, f"{d} no longer fits {t} (too many digits)"
        return d, None
    if isinstance(t, sqltypes.Float):
        return float(value), None
    if isinstance(t, sqltypes.Uuid):
        u = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
        return (u if getattr(t, "as_uuid", True) else str(u)), None
    return value, None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."



def last_id(conn: Connection, table: Table, column: str) -> Any:
    """An expression for the id the write's previous INSERT into ``table`` generated (a later statement of the
    same transaction uses it): ``currval`` on PostgreSQL, ``LAST_INSERT_ID()`` on MariaDB, the newest id under
    SQLite's write lock."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import REGCLASS  # only here: other backends never import the dialect

        return func.currval(cast(func.pg_get_serial_sequence(table.fullname, column), REGCLASS))
    if dialect in ("mysql", "mariadb"):
        return func.last_insert_id()
    return select(func.max(table.c[column])).scalar_subquery()
