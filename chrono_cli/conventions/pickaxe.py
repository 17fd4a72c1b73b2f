"""The pickaxe (``changes TABLE --column C --value V``): the changes that set or cleared a value.

A change matches when its field change of the column has the value on either side (a change *to* it, an insert
with it, or a change *away from* it); a deletion shows no field change, so it never matches. ``touches`` is that
rule on a listed change, and every store is filtered by it. Where the store allows, the listing is narrowed in
SQL first, to exactly the rows whose change can match, so a page costs what the matching rows cost:
``new_state_match`` compares a row with the state stored just before it (Continuum, django-simple-history),
``old_state_match`` a row with the state after it (history_meta: the next row, or the live row).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Table, and_, case, false, func, literal, select
from sqlalchemy.sql import sqltypes
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.base import Detection
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.shapes.window import sqlite_time, sqlite_time_value
from chrono_cli.model import RowChange
from chrono_cli.records import Struct


class ValueMatch(Struct, frozen=True):
    """Changes that set or cleared ``value`` (typed through the column's type) in ``column``."""

    column: str
    value: Any
    text: str  # as typed: stores that keep values as text (JSON diffs) compare with it


def touches(change: RowChange, match: ValueMatch) -> bool:
    """Whether ``change`` set or cleared the value (its field change of the column has it on either side)."""
    return any(fc.column == match.column and (_is(fc.old, match) or _is(fc.new, match)) for fc in change.changes)


def _is(stored: Any, match: ValueMatch) -> bool:
    if stored is None:
        return False
    return same(stored, match.value) or (isinstance(stored, str) and stored == match.text)


def comparable(column: Any) -> bool:
    """Whether SQL compares ``column`` with a value as Python does: text, numbers, booleans, uuids, times (JSON,
    arrays and the rest are filtered after reading, by ``touches``)."""
    return isinstance(column.type, _COMPARABLE) and not isinstance(column.type, sqltypes.JSON)


_COMPARABLE = (
    sqltypes.String,
    sqltypes.Integer,
    sqltypes.Numeric,
    sqltypes.Boolean,
    sqltypes.Uuid,
    sqltypes.DateTime,
    sqltypes.Date,
    sqltypes.Enum,
)


def holds(column: Any, match: ValueMatch, dialect: str) -> ColumnElement[Any]:
    """``column = value`` as true or false (never NULL), so a NULL differs from the value."""
    value: Any = literal(match.value, column.type)
    if dialect in ("mysql", "mariadb") and isinstance(column.type, sqltypes.String):
        column, value = func.binary(column), func.binary(value)  # as Python compares: case and trailing spaces
    elif dialect == "sqlite" and isinstance(match.value, date):  # times kept as text in the writer's format
        column, value = sqlite_time(column), sqlite_time_value(match.value)
    return func.coalesce(column == value, false())


def new_state_match(
    store: Table,
    det: Detection,
    order: Sequence[str],
    match: ValueMatch,
    deleted: Mapping[str, Any] | None = None,
    dialect: str = "",
    time_col: str | None = None,
) -> ColumnElement[bool] | None:
    """Rows of a new-state store whose change can set or clear the value: the row holds it and the state before
    it (same key, next lower in ``order``) does not, or the other way round. ``deleted``: the operation column
    and its deletion value (a deletion row holds no state, so the row after it starts from nothing).
    None: SQL cannot compare the column."""
    from chrono_cli.conventions.shapes.new_state import earlier

    if match.column not in store.c or not comparable(store.c[match.column]):
        return None
    before = store.alias("pickaxe_before")
    now = {c: store.c[c] for c in dict.fromkeys([*det.key, *order])}
    had = holds(before.c[match.column], match, dialect)
    if deleted is not None:
        ((op, gone),) = deleted.items()
        had = and_(had, func.coalesce(before.c[op] != gone, false()))
    prev = (
        select(had)
        .where(earlier(before, det, now, order, time_col, dialect))
        .order_by(*[before.c[c].desc() for c in order])
        .limit(1)
        .scalar_subquery()
    )
    return holds(store.c[match.column], match, dialect) != func.coalesce(prev, false())


def old_state_match(
    store: Table, after: Any, live: Table, key: Sequence[str], match: ValueMatch, dialect: str = ""
) -> ColumnElement[bool] | None:
    """Rows of an old-state store (row v: the state a change replaced) whose change can set or clear the value:
    the row holds it and the state after it does not, or the other way round. The query joins that state:
    ``after`` (row v + 1) and ``live`` (the live row, used when there is no row v + 1), both outer joins.
    None: SQL cannot compare the column."""
    if not all(match.column in t.c and comparable(t.c[match.column]) for t in (store, after, live)):
        return None
    then = case(
        (after.c[key[0]].is_not(None), holds(after.c[match.column], match, dialect)),
        (live.c[key[0]].is_not(None), holds(live.c[match.column], match, dialect)),
        else_=false(),
    )
    return holds(store.c[match.column], match, dialect) != then
