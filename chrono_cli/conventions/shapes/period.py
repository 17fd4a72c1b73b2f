"""Period shape: the base table holds the current row, the history table each replaced row with the period
it was valid (``valid_from``/``valid_to``, or one range column ``period``, e.g. temporal_tables' sys_period).

Consecutive periods that touch are updates; a period that starts after the previous one ended means the row
was deleted in between and re-created. The live row is valid from its own ``valid_from`` (or range start)
when the base table has that column, else from the end of the newest period. Recorded states are numbered
1, 2, ... in order (the N-th period of the key; a deletion has no number).

Built-in period conventions (the periods extension, temporal_tables) detect a ``PeriodOptions``: a typed
declaration plus the columns their store holds without versioning them (the periods extension's excluded
columns: their values in history rows are those at close time, never history).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.base import Detection, ReadContext
from chrono_cli.conventions.rows import as_utc, fetch_live
from chrono_cli.conventions.shapes.common import DeclaredOptions, declared, key_filter, live_columns
from chrono_cli.conventions.shapes.in_table import is_open
from chrono_cli.conventions.shapes.period_page import ROW, ROWS, cut, positioned
from chrono_cli.conventions.shapes.window import sqlite_time
from chrono_cli.model import Op, RowKey, Version


class PeriodOptions(DeclaredOptions, frozen=True):
    """A detected period convention: its typed layout and the store columns that are not versioned."""

    unversioned: tuple[str, ...] = ()   # in history rows but stale there (shown as not recorded)

    def bookkeeping(self) -> tuple[str, ...]:
        return tuple(c for c in self.declared.layout.roles.values() if c not in self.declared.key)


def unversioned(det: Detection) -> tuple[str, ...]:
    """Columns ``det``'s store holds without versioning them."""
    return det.options.unversioned if isinstance(det.options, PeriodOptions) else ()


def bounds(dec: Any, row: Mapping[Any, Any], tz: str | None) -> tuple[datetime | None, datetime | None]:
    """The period a row was valid: (start, end), None for an open or missing bound."""
    if dec.role("period"):
        rng = row.get(dec.role("period"))
        lower, upper = getattr(rng, "lower", None), getattr(rng, "upper", None)
        return as_utc(lower, tz), None if is_open(upper) else as_utc(upper, tz)
    start = row.get(dec.role("valid_from") or "")
    end = row.get(dec.role("valid_to") or "")
    return as_utc(start, tz), None if is_open(end) else as_utc(end, tz)


def read(ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
    """Every state of ``key``: the closed periods in order, then the live row (or the deletion)."""
    dec = declared(det)
    store = ctx.info(det.store).table()
    order = [store.c[c] for c in (dec.role("valid_from"), dec.role("period")) if c] + list(store.primary_key.columns)
    rows = ctx.conn.execute(select(store).where(key_filter(store, dec.key, key)).order_by(*order)).mappings().all()
    return states(ctx, det, list(rows), fetch_live(ctx.conn, ctx.info(det.live).table(), key))


def states(ctx: ReadContext, det: Detection, rows: Sequence[Mapping[Any, Any]], live: Mapping[str, Any] | None, *,
           first: int = 1, latest: bool = True) -> list[Version]:
    """The versions of closed periods ``rows`` (in order, the first numbered ``first``), then, when they end with
    the key's latest period (``latest``), the live row or the deletion."""
    dec = declared(det)
    tz = ctx.config.timezone
    stale = unversioned(det)
    skip = set(ctx.config.unrecorded) | set(dec.layout.roles.values()) | set(stale)
    data = [(h, b) for h, b in dec.data if b not in skip]
    shown = [c for c in live_columns(ctx, det) if c not in dec.layout.roles.values()]
    declared_out = tuple(c for c in ctx.info(det.live).columns if c in ctx.config.unrecorded)
    history_out = tuple(dict.fromkeys((*declared_out, *(c for c in stale if c in shown))))
    out: list[Version] = []
    prev_end: datetime | None = None
    for i, r in enumerate(rows):
        start, end = bounds(dec, r, tz)
        op = Op.INSERT if i == 0 else Op.UPDATE
        if i and prev_end is not None and start is not None and start > prev_end:
            out.append(Version(values=None, op=Op.DELETE, valid_from=prev_end, valid_to=start))
            op = Op.INSERT
        values = {b: r[h] for h, b in data}
        missing = tuple(c for c in shown if c not in values)
        out.append(Version(values=values, op=op, number=first + i, valid_from=start, valid_to=end,
                           unrecorded=tuple(dict.fromkeys((*history_out, *missing)))))
        prev_end = end
    if not latest:
        return out
    if live is not None:
        start, _ = bounds(dec, live, tz)
        start = start or prev_end
        op = Op.UPDATE if out and (prev_end is None or start is None or start <= prev_end) else Op.INSERT
        if out and op is Op.INSERT:
            out.append(Version(values=None, op=Op.DELETE, valid_from=prev_end, valid_to=start))
        out.append(Version(values={c: live[c] for c in shown}, op=op if out else Op.INSERT, number=first + len(rows),
                           valid_from=start, unrecorded=declared_out, current=True))
    elif out:
        out.append(Version(values=None, op=Op.DELETE, valid_from=prev_end))
    return out


def page(ctx: ReadContext, det: Detection, key: RowKey, before: int | None, size: int) -> list[Version] | None:
    """``versions_page`` of a period store (``read``'s states): its closed periods by window, then the live
    row or the deletion when the window reaches the newest period."""
    if before is not None and before <= 1:
        return []
    dec = declared(det)
    store = ctx.info(det.store).table()
    order = [store.c[c] for c in (dec.role("valid_from"), dec.role("period")) if c] + list(store.primary_key.columns)
    start, end = _bounds(dec, store, ctx.conn.dialect.name)
    rows = positioned(ctx.conn, select(store).where(key_filter(store, dec.key, key)), order,
                      start > func.lag(end).over(order_by=order), before, size)
    latest = not rows or rows[-1][ROW] == rows[-1][ROWS]
    live = fetch_live(ctx.conn, ctx.info(det.live).table(), key) if latest else None
    versions = states(ctx, det, rows, live, first=rows[0][ROW] if rows else 1, latest=latest)
    return cut(versions, rows, latest, before, size)


def _bounds(dec: Any, store: Any, dialect: str) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """A period's start and end as the server compares them (``period.bounds`` in SQL: a range's bounds; SQLite's
    text times in one sortable form). An open end (NULL, infinity) is after every start, as ``bounds`` has it."""
    if dec.role("period"):
        rng = store.c[dec.role("period")]
        return func.lower(rng), func.upper(rng)
    start, end = store.c[dec.role("valid_from")], store.c[dec.role("valid_to")]
    if dialect == "sqlite":
        return sqlite_time(start), sqlite_time(end)
    return start, end
