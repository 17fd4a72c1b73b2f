"""New-state shape: each history row is the base row as a change left it (a deletion row marks the end).

``operation`` tells inserts, updates and deletes apart; without it the first row is of unknown origin and a
missing live row is a deletion at an unknown time. A live row that differs from the newest history row is
shown as a change the history did not record.

A change listing of a new-state store diffs each row against the stored state just before it:
``previous_states`` finds those with one index probe per row (Continuum, django-simple-history).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, Table, and_, bindparam, func, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FromClause

from chrono_cli.conventions.base import Detection, EventQuery, ReadContext
from chrono_cli.conventions.rows import fetch_live
from chrono_cli.conventions.shapes.common import (
    declared,
    iter_entries,
    iter_states_after,
    live_columns,
    recorded_columns,
    stream_history_rows,
)
from chrono_cli.conventions.shapes.old_state import unrecorded
from chrono_cli.conventions.shapes.window import sqlite_time, sqlite_time_value
from chrono_cli.model import RowChange, RowKey, Version
from chrono_cli.records import replace


def read(ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
    """Every state of ``key``: one per history row, the live row marked current (or added if it differs)."""
    return list(stream(ctx, det, key))


def stream(ctx: ReadContext, det: Detection, key: RowKey) -> Iterator[Version]:
    """``read`` one state at a time, the history rows streamed from the server."""
    dec = declared(det)
    recorded = recorded_columns(ctx, dec)
    live = fetch_live(ctx.conn, ctx.info(det.live).table(), key)
    hist_out, cur_out = unrecorded(ctx, det, recorded)
    shown = [c for c in live_columns(ctx, det) if c in recorded]
    entries = iter_entries(ctx, dec, stream_history_rows(ctx, det, key, dec))
    yield from iter_states_after(entries, live, shown, hist_out, cur_out)


def events(ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
    """Changes in the window: each history row is one change, at its time."""
    from chrono_cli.conventions.shapes.events import declared_events

    return declared_events(ctx, det, query, read)


_PROBES = 100  # rows per probe statement: under 1,000 bound parameters (older SQLite builds' limit)
_FETCH = 200  # previous states fetched per statement (one IN list per column: also under 1,000 parameters)


def earlier(store: FromClause, det: Detection, row: Mapping[str, Any], order: Sequence[str], time_col: str | None,
             dialect: str) -> ColumnElement[bool]:
    """The stored states of ``row``'s key that come before it in ``order`` (compared column by column)."""
    def pair(name: str) -> tuple[Any, Any]:
        if name == time_col and dialect == "sqlite":  # times kept as text in the writer's format
            if isinstance(row[name], date):
                return sqlite_time(store.c[name]), sqlite_time_value(row[name])
            return func.julianday(store.c[name]), func.julianday(row[name])
        return store.c[name], row[name]

    col, value = pair(order[-1])
    cond: ColumnElement[bool] = col < value
    for name in reversed(order[:-1]):
        col, value = pair(name)
        cond = or_(col < value, and_(col == value, cond))
    return and_(*[store.c[k] == row[k] for k in det.key], cond)


def _probes(store: Table, det: Detection, order: Sequence[str], time_col: str | None, dialect: str,
            n: int) -> Select[Any]:
    """``n`` index probes in one statement, each bound to one row (``p<i>_<column>``): the last ``order`` value
    of the state stored just before that row. Built once and reused, so each row costs only its parameters."""
    columns = list(dict.fromkeys([*det.key, *order]))

    def probe(i: int) -> Any:
        row: dict[str, Any] = {c: bindparam(f"p{i}_{c}") for c in columns}
        return (select(store.c[order[-1]]).where(earlier(store, det, row, order, time_col, dialect))
                .order_by(*[store.c[c].desc() for c in order]).limit(1).scalar_subquery().label(f"p{i}"))

    return select(*[probe(i) for i in range(n)])


def _bind(rows: Sequence[Mapping[Any, Any]], columns: list[str], time_col: str | None,
          dialect: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for i, r in enumerate(rows):
        for c in columns:
            value = r[c]
            if c == time_col and dialect == "sqlite" and isinstance(value, datetime):
                value = value.isoformat(" ")
            params[f"p{i}_{c}"] = value
    return params


def previous_states(ctx: ReadContext, store: Table, det: Detection, rows: Sequence[Mapping[Any, Any]],
              order: Sequence[str], time_col: str | None = None) -> dict[tuple[Any, ...], Mapping[Any, Any]]:
    """The stored state just before each page row (same key, next lower in ``order``), by (key..., last order
    column) of the page row. One index probe per row, so a record with a million versions costs no more than
    a record with two."""
    ident, dialect = order[-1], ctx.conn.dialect.name
    columns = list(dict.fromkeys([*det.key, *order]))
    statements: dict[int, Select[Any]] = {}
    found: list[Any] = []
    for start in range(0, len(rows), _PROBES):
        chunk = rows[start:start + _PROBES]
        if len(chunk) not in statements:
            statements[len(chunk)] = _probes(store, det, order, time_col, dialect, len(chunk))
        found += list(ctx.conn.execute(statements[len(chunk)], _bind(chunk, columns, time_col, dialect)).one())
    wanted = {r_key: (*r_key[:-1], f) for r_key, f in
              zip(((*(r[k] for k in det.key), r[ident]) for r in rows), found, strict=True) if f is not None}
    stored: dict[tuple[Any, ...], Mapping[Any, Any]] = {}
    pairs = list(set(wanted.values()))
    for start in range(0, len(pairs), _FETCH):
        batch = pairs[start:start + _FETCH]
        # one IN list per column (a tuple IN of thousands of pairs plans slowly); exact pairs picked below
        match = [store.c[c].in_(list({p[i] for p in batch})) for i, c in enumerate([*det.key, ident])]
        for r in ctx.conn.execute(select(store).where(*match)).mappings():
            stored[tuple(r[c] for c in [*det.key, ident])] = r
    return {r_key: stored[p_key] for r_key, p_key in wanted.items() if p_key in stored}


def page_bounds(rows: int, before: int | None, size: int) -> tuple[int, int, int]:
    """The history rows a page of a new-state store reads, when history row i is version i and the live row may
    add one version after the last row: (first row, last row, newest position shown; 0: nothing). The rows run
    from two before the page (the predecessor, and the row its own notes come from) to one after it (when its
    last version ended); the newest page also reads the live row (read it when the last row is ``rows``)."""
    last = rows + 1 if before is None else before - 1
    if last < 1:
        return 1, 0, 0
    return max(1, min(last, rows) - size - 1), min(rows, last + 1), last


def window_rows(ctx: ReadContext, store: Table, where: ColumnElement[bool], order: Sequence[ColumnElement[Any]],
                first: int, last: int, total: int) -> list[Mapping[Any, Any]]:
    """Rows ``first`` to ``last`` (1-based in ``order``) of the ``total`` rows matching ``where``, oldest first,
    read from the newest end (the newest pages skip the fewest rows)."""
    if last < first:
        return []
    found = ctx.conn.execute(select(store).where(where).order_by(*[c.desc() for c in order])
                             .offset(total - last).limit(last - first + 1))
    return list(reversed(found.mappings().all()))


def select_window(ctx: ReadContext, query: Select[Any], order: Sequence[ColumnElement[Any]], first: int, last: int,
                  total: int) -> list[Mapping[Any, Any]]:
    """``window_rows`` for a query of its own (a store joined to its metadata): rows ``first`` to ``last``
    (1-based in ``order``) of the ``total`` it selects, oldest first, read from the newest end."""
    if last < first:
        return []
    found = ctx.conn.execute(query.order_by(*[c.desc() for c in order]).offset(total - last)
                             .limit(last - first + 1))
    return list(reversed(found.mappings().all()))


def page_slice(states: Sequence[Version], first: int, last: int, size: int) -> list[Version]:
    """The versions built from rows ``first`` on (version i at position i), up to position ``last``: the page's
    ``size`` and the one before them, each ``seq`` its position."""
    numbered = [replace(v, seq=first + i) for i, v in enumerate(states) if first + i <= last]
    return numbered[-(size + 1):]
