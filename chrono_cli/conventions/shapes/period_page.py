"""A page of a period-like timeline read by window (``ConventionAdapter.versions_page``).

In a period store (and MariaDB's system versioning, and in-table versions) a key's rows in order are its states,
and a row that starts after the previous one ended adds a deletion before it. So a row's position in the whole
timeline is its row number plus the deletions up to it, however old: the server counts them with window
functions (``LAG`` of the previous row's end, a running ``SUM``), and only the page's rows are sent.

The rows are read from the newest end: the page's rows, the row a deletion at the page's start closes (it
follows that row) and one row before the page, whose state the store's engine needs to tell its successor's
operation (it is itself a first state to the engine, so it is dropped unless it is the key's first row).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.base import Detection, ReadContext
from chrono_cli.conventions.rows import fetch_live
from chrono_cli.conventions.shapes.common import declared, key_filter
from chrono_cli.conventions.shapes.period import states
from chrono_cli.conventions.shapes.window import sqlite_time
from chrono_cli.model import Op, RowKey, Version

ROW, GAP, POS, ROWS = "chrono_row", "chrono_gap", "chrono_pos", "chrono_rows"


def positioned(conn: Connection, query: Select[Any], order: Sequence[ColumnElement[Any]],
               gap: ColumnElement[bool], before: int | None, size: int) -> list[Mapping[Any, Any]]:
    """The rows of ``query`` (one key's rows) a page of ``size`` positions before ``before`` (None: the newest)
    is built from, oldest first, each with its number in ``order`` (``chrono_row``), its position in the whole
    timeline (``chrono_pos``) and the key's row count (``chrono_rows``). ``gap``: the row follows a deletion
    (built on ``LAG(...) OVER (ORDER BY order)``).

    A row takes one position, two after a deletion: the ``size + 3`` newest rows at or before ``before`` reach
    one row before the page (before: at most ``size`` positions, the row whose deletion opens the page at
    ``before``, and one more)."""
    numbered = query.add_columns(func.row_number().over(order_by=order).label(ROW),
                                 case((gap, 1), else_=0).label(GAP)).subquery()
    row = numbered.c[ROW]
    placed = select(numbered, (row + func.sum(numbered.c[GAP]).over(order_by=row)).label(POS),
                    func.count().over().label(ROWS)).subquery()
    page = select(placed).order_by(placed.c[ROW].desc()).limit(size + 3)
    if before is not None:
        page = page.where(placed.c[POS] <= before)
    rows: list[Mapping[Any, Any]] = list(conn.execute(page).mappings())
    return rows[::-1]


def cut(versions: Sequence[Version], rows: Sequence[Mapping[Any, Any]], latest: bool, before: int | None,
        size: int) -> list[Version] | None:
    """The page in ``versions`` (the states of ``rows`` as the store's engine builds them, then, when ``latest``,
    what follows the newest row), with the state before it, each ``seq`` its position.

    None when the engine and the server place a row differently (their time comparisons disagree, e.g. text times
    written in several forms): the positions would be wrong, so the timeline is read whole."""
    first = rows[0][POS] if rows else 1
    numbered = [replace(v, seq=first + i) for i, v in enumerate(versions)]
    states = [v for v in numbered if v.op is not Op.DELETE]
    if any(v.seq != r[POS] for v, r in zip(states, rows, strict=False)):
        return None
    last = len(numbered) + first - 1 if latest else 0
    if before is not None:
        last = before - 1 if not latest else min(before - 1, last)
    start = max(1, last - size)
    return [v for v in numbered if start <= v.seq <= last]


def page(ctx: ReadContext, det: Detection, key: RowKey, before: int | None, size: int) -> list[Version] | None:
    """``versions_page`` of a period store (``period.read``'s states): its closed periods by window, then the live
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
