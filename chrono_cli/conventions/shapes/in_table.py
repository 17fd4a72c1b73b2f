"""In-table shape: every version is a row of the table itself (SCD-2, versioned rows).

``key`` names the columns that identify a record; ``version`` and/or ``valid_from`` order its rows; ``current``
(a boolean) or an open ``valid_to`` (NULL, 'infinity' or a far-future value) marks the current one. A record
whose rows are all closed was deleted; a closed row followed by one that starts later was deleted and
re-created in between.

Writes need no trigger, the shape says what to write: close the current version (``current`` = false,
``valid_to`` = now), then insert the next (``version`` + 1, ``valid_from`` = now, open, current): in_table_write.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, false, func, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.base import Detection, ReadContext
from chrono_cli.conventions.rows import as_utc
from chrono_cli.conventions.shapes.common import Declared, declared, key_filter
from chrono_cli.conventions.shapes.period_page import ROW, ROWS, cut, positioned
from chrono_cli.conventions.shapes.window import sqlite_time
from chrono_cli.conventions.types import is_boolean
from chrono_cli.model import Op, RowKey, Version

FAR = datetime(9999, 12, 31)


def is_open(value: Any) -> bool:
    """A valid_to that means "still current": NULL, 'infinity' or a far-future time."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip().lower() in ("infinity", "9999-12-31") or value.startswith("9999")
    return isinstance(value, datetime) and value.year >= 9000


def bookkeeping(dec: Declared, info_pk: Sequence[str]) -> frozenset[str]:
    """Columns the layout maintains per version row: the roles and a per-row surrogate key."""
    return frozenset(dec.layout.roles.values()) | {c for c in info_pk if c not in dec.key}


def current_where(dec: Declared, table: Any) -> ColumnElement[bool]:
    """The condition that picks a record's current row."""
    flag, until = dec.role("current"), dec.role("valid_to")
    if flag is not None:
        col = table.c[flag]
        found: ColumnElement[bool] = col == true() if is_boolean(col.type) else col != 0
        return found
    assert until is not None
    col = table.c[until]
    return or_(col.is_(None), col >= FAR)


def _open(dec: Declared, row: Mapping[Any, Any]) -> bool:
    flag = dec.role("current")
    if flag is not None:
        return bool(row[flag])
    return is_open(row[dec.role("valid_to") or ""])


DELETED = "no row is current: the record was deleted (time unknown)"


def read(ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
    """Every version row of ``key`` in order, with deletions where the rows say one happened."""
    return read_rows(ctx, det, key, declared(det))


def page(ctx: ReadContext, det: Detection, key: RowKey, before: int | None, size: int) -> list[Version] | None:
    """``read``'s page (``ConventionAdapter.versions_page``), reading only its rows."""
    return page_rows(ctx, det, key, declared(det), before, size)


def read_rows(ctx: ReadContext, det: Detection, key: RowKey, dec: Declared, *,
              first: Callable[[Any], Op] = lambda number: Op.INSERT, deleted: str = DELETED) -> list[Version]:
    """``read`` for a library's layout: ``first`` gives the first row's operation by its number, ``deleted`` the
    note of a deletion whose time no row tells. Without ``current`` and ``valid_to`` the newest row is current."""
    info = ctx.info(det.live)
    table = info.table()
    order = [table.c[c] for c in dec.order] + [table.c[c] for c in info.pk]
    rows = ctx.conn.execute(select(table).where(key_filter(table, dec.key, key)).order_by(*order)).mappings().all()
    return _versions(ctx, det, dec, rows, first, deleted)


def page_rows(ctx: ReadContext, det: Detection, key: RowKey, dec: Declared, before: int | None, size: int, *,
              first: Callable[[Any], Op] = lambda number: Op.INSERT, deleted: str = DELETED) -> list[Version] | None:
    """``versions_page`` of ``read_rows``: the key's version rows by window (``shapes.period_page``), a row that
    starts after a closed row ended following a deletion, as ``read_rows`` has it."""
    if before is not None and before <= 1:
        return []
    info = ctx.info(det.live)
    table = info.table()
    order = [table.c[c] for c in dec.order] + [table.c[c] for c in info.pk]
    rows = positioned(ctx.conn, select(table).where(key_filter(table, dec.key, key)), order,
                      _recreated(dec, table, order, ctx.conn.dialect.name), before, size)
    latest = not rows or rows[-1][ROW] == rows[-1][ROWS]
    return cut(_versions(ctx, det, dec, rows, first, deleted, latest=latest), rows, latest, before, size)


def _recreated(dec: Declared, table: Any, order: Sequence[Any], dialect: str) -> ColumnElement[bool]:
    """In SQL, whether a row follows a deletion: it starts after the previous row ended, and that row was not
    current (``read_rows``' test; without both ``valid_from`` and ``valid_to`` no row does)."""
    start_col, end_col = dec.role("valid_from"), dec.role("valid_to")
    if start_col is None or end_col is None:
        return false()
    start, end = table.c[start_col], table.c[end_col]
    if dialect == "sqlite":
        start, end = sqlite_time(start), sqlite_time(end)
    # after an open end (NULL, 'infinity': NULL to SQLite's strftime) the comparison is NULL: no deletion
    later: ColumnElement[bool] = start > func.lag(end).over(order_by=order)
    if dec.role("current") is None:
        return later
    was_current = func.lag(case((current_where(dec, table), 1), else_=0)).over(order_by=order)
    return and_(later, was_current == 0)


def _versions(ctx: ReadContext, det: Detection, dec: Declared, rows: Sequence[Mapping[Any, Any]],
              first: Callable[[Any], Op], deleted: str, *, latest: bool = True) -> list[Version]:
    """The versions of ``rows`` (in order), with deletions where they say one happened; ``latest``: they end with
    the key's newest row (else its newest row is not among them: neither current nor followed by a deletion)."""
    info = ctx.info(det.live)
    skip = bookkeeping(dec, info.pk) | set(ctx.config.unrecorded)
    cols = [c for c in info.columns if c not in skip]
    declared_out = tuple(c for c in info.columns if c in ctx.config.unrecorded)
    tz = ctx.config.timezone
    start_col, end_col = dec.role("valid_from"), dec.role("valid_to")
    marked = dec.role("current") is not None or end_col is not None
    actor, reason = dec.role("actor"), dec.role("reason")
    out: list[Version] = []
    prev_end: datetime | None = None
    prev_open = False
    for i, row in enumerate(rows):
        start = as_utc(row[start_col], tz) if start_col else None
        number = row[dec.role("version") or ""] if dec.role("version") else None
        op = first(number) if i == 0 else Op.UPDATE
        if i and not prev_open and prev_end is not None and start is not None and start > prev_end:
            out.append(Version(values=None, op=Op.DELETE, valid_from=prev_end))
            op = Op.INSERT
        is_current = _open(dec, row) if marked else latest and i == len(rows) - 1
        end = None if end_col is None or is_open(row[end_col]) else as_utc(row[end_col], tz)
        out.append(Version(values={c: row[c] for c in cols}, op=op, number=number, valid_from=start, valid_to=end,
                           actor=None if actor is None or row[actor] is None else str(row[actor]),
                           reason=None if reason is None or row[reason] is None else str(row[reason]),
                           unrecorded=declared_out, current=is_current))
        prev_end, prev_open = end, is_current
    if latest and out and not prev_open:
        out.append(Version(values=None, op=Op.DELETE, valid_from=prev_end, note=None if prev_end else deleted))
    return out
