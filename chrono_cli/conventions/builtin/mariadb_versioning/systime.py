"""``FROM t FOR SYSTEM_TIME ALL | AS OF ...`` as a SQLAlchemy Core construct.

SQLAlchemy has no spelling for MariaDB's system-time clause. A table hint (``with_hint``) renders after the
table name but is plain text, so a time could only be formatted into it. ``SystemTime`` is a small FROM element
instead: it renders the table followed by the clause, with the times as bound parameters compiled by the
statement's own compiler, and hides the plain table so ``select(t.c.x).select_from(SystemTime(t, ...))``
names ``t`` once. Times are bound as epoch seconds (``FROM_UNIXTIME``) and read back with ``UNIX_TIMESTAMP``:
both are in the session ``time_zone`` whatever it is, so no session setting is changed or assumed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, bindparam, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause, TableClause

ALL = "ALL"
AS_OF = "AS OF"


def epoch(moment: datetime) -> Decimal:
    """An aware time as epoch seconds with microseconds (exact: no float rounding)."""
    delta = moment - datetime(1970, 1, 1, tzinfo=moment.tzinfo).astimezone(moment.tzinfo)
    return Decimal(delta.days * 86400 + delta.seconds) + Decimal(delta.microseconds).scaleb(-6)


class SystemTime(FromClause):
    """``table FOR SYSTEM_TIME <mode>``: ALL, or AS OF a time (used on timestamp tables only: on a
    transaction-precise one the server's answer leaves out rows an overlapping transaction changed, as_of.py)."""

    __visit_name__ = "mariadb_system_time"
    inherit_cache = False  # a one-off read: statements with it are compiled each time
    named_with_column = False

    def __init__(self, table: TableClause, mode: str = ALL, at: datetime | None = None,
                 same: tuple[TableClause, ...] = (),
                 outer: tuple[tuple[FromClause, ColumnElement[bool]], ...] = ()) -> None:
        self.table = table
        self.same = same  # other Table objects of the same table (conditions built on them name it too)
        self.mode = mode
        self.at = at
        self.outer = outer  # (table, on) pairs: LEFT OUTER JOIN each after the clause

    @property
    def _hide_froms(self) -> list[FromClause]:
        return [self.table, *self.same, *(joined for joined, _ in self.outer)]

    @property
    def _from_objects(self) -> list[FromClause]:
        return [self]

    def _populate_column_collection(self, *args: Any, **kw: Any) -> None:
        for col in self.table.columns:
            self._columns.add(col)


@compiles(SystemTime)
def _compile(element: SystemTime, compiler: SQLCompiler, **kw: Any) -> str:
    table = compiler.process(element.table, **{**kw, "asfrom": True})
    if element.mode == AS_OF and element.at is not None:
        stamp = func.from_unixtime(bindparam("systime_at", epoch(element.at), type_=Numeric(20, 6)))
        clause = f"{table} FOR SYSTEM_TIME AS OF TIMESTAMP {compiler.process(stamp, **kw)}"
    else:
        clause = f"{table} FOR SYSTEM_TIME ALL"
    for joined, on in element.outer:
        clause += (f" LEFT OUTER JOIN {compiler.process(joined, **{**kw, 'asfrom': True})} "
                   f"ON {compiler.process(on, **kw)}")
    return clause


def seconds(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """A TIMESTAMP column as epoch seconds (independent of the session time zone)."""
    return func.unix_timestamp(column, type_=Numeric(20, 6))
