"""What an inferred change set did to each of its keys in a paired old-state store (history_meta, Chrononaut 0.2),
for ``chrono revert`` (``BulkWriter.undo``).

A history row v stamped at T is the change at T that ended state v (conventions.md 2A): the version it made is
the next state (history row v + 1, else the live row, else the deletion). So the set's history rows of a key,
v_first to v_last, say everything: the state before the set is row v_first itself, the state it left is the one
after v_last, and a later change exists when that one is a history row too. One query for every key: the set's
rows (by the set's span, then exactly by key and time), each with its next row and the live row.

``old_state_undo_query`` says the same as one SELECT (for a revert planned in SQL) where the set changed each key
once and its span holds no other history row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.sql import Select

from chrono_cli.conventions.shapes.bulk import (
    MADE,
    SPAN_PAD,
    UNDO_BEFORE,
    UNDO_LATER,
    UNDO_MADE,
    UNDO_OP,
    Span,
    Undo,
    stored_moment,
)
from chrono_cli.conventions.shapes.window import time_pair
from chrono_cli.conventions.writes.base import WriteContext

if TYPE_CHECKING:
    from chrono_cli.conventions.shapes.old_state_bulk import OldStateBulk


def old_state_undo(writer: OldStateBulk, ctx: WriteContext, span: Span) -> dict[tuple[Any, ...], Undo] | None:
    """Each key of ``span`` with what the set did to it; None for a store without times."""
    tcol, vname = ctx.det.time_col, ctx.det.version_col or "version"
    if tcol is None:
        return None
    store, live, names = ctx.store, ctx.live, list(ctx.det.key)
    nxt = store.alias("next_state")
    columns = writer.recorded(ctx)
    width, n, lnames = len(names), len(columns), list(live.columns.keys())
    zone, dialect = ctx.config.timezone, ctx.conn.dialect.name
    low, low_value = time_pair(store.c[tcol], span.oldest - SPAN_PAD, zone, dialect)
    high, high_value = time_pair(store.c[tcol], span.newest + SPAN_PAD, zone, dialect)
    query = (select(*(store.c[c] for c in names), store.c[vname], store.c[tcol], *(store.c[c] for c in columns),
                    nxt.c[vname].is_not(None), *(nxt.c[c] for c in columns),
                    live.c[names[0]].is_not(None), *live.columns)
             .select_from(store.outerjoin(nxt, and_(*(nxt.c[c] == store.c[c] for c in names),
                                                    nxt.c[vname] == store.c[vname] + 1))
                          .outerjoin(live, and_(*(live.c[c] == store.c[c] for c in names))))
             .where(low >= low_value, high <= high_value))
    first: dict[tuple[Any, ...], Any] = {}
    last: dict[tuple[Any, ...], Any] = {}
    moment, times = stored_moment(ctx.config.timezone), span.times
    for row in ctx.conn.execute(query).all():  # one fetch, plain rows: cheap for 100,000 rows
        key = row[:width]
        if moment(row[width + 1]) not in times.get(key, ()):
            continue
        seen = first.get(key)
        if seen is None:
            first[key] = last[key] = row
        elif row[width] < seen[width]:
            first[key] = row
        elif row[width] > last[key][width]:
            last[key] = row
    out: dict[tuple[Any, ...], Undo] = {}
    at_next, at_live = width + 2 + n, width + 3 + 2 * n
    for key, row in last.items():
        later = bool(row[at_next])
        current = dict(zip(lnames, row[at_live + 1:], strict=True)) if row[at_live] else None
        made = dict(zip(columns, row[at_next + 1:at_live], strict=True)) if later else current  # the live row
        if current is not None and not later and current.get(vname) != row[width] + 1:
            later = True  # a write that bypassed the history: the row-by-row reading says what it is
        head = first[key]
        op = 1 if head[at_next] or head[at_live] else 2  # as the listing says: no state after it, a deletion
        out[key] = Undo(op, made, dict(zip(columns, head[width + 2:at_next], strict=True)), False, later, current)
    return out


def old_state_undo_query(writer: OldStateBulk, ctx: WriteContext, span: Span) -> Select[Any] | None:
    """``old_state_undo`` as one SELECT (``BulkWriter.undo_query``) where the set changed each key once: each
    history row of the span (the state before it) with the row after it and the live row. The state the set left
    is that next row, else the live row, which a revert's write copies into the history under that very version
    (so it reads the same after the write). None for a store without times, a key the set changed more than once
    (first and last rows would be joined back to the store by version: 100,000 index probes each), or a span that
    holds history rows of other changes (counted first: with as many rows as the set's keys, every row in it is
    one of the set's changes)."""
    tcol, vname = ctx.det.time_col, ctx.det.version_col or "version"
    if tcol is None or span.changes != len(span.times):
        return None
    store, live, names = ctx.store, ctx.live, list(ctx.det.key)
    zone, dialect = ctx.config.timezone, ctx.conn.dialect.name
    low, low_value = time_pair(store.c[tcol], span.oldest - SPAN_PAD, zone, dialect)
    high, high_value = time_pair(store.c[tcol], span.newest + SPAN_PAD, zone, dialect)
    spanned = and_(low >= low_value, high <= high_value)
    if ctx.conn.execute(select(func.count()).select_from(store).where(spanned)).scalar() != len(span.times):
        return None
    nxt = store.alias("chrono_next")
    here, after = live.c[names[0]].is_not(None), nxt.c[names[0]].is_not(None)
    bypassed = and_(here, live.c[vname].is_distinct_from(store.c[vname] + 1)) if vname in live.c else here
    columns = writer.recorded(ctx)
    return (select(*(store.c[c] for c in names), case((or_(after, here), 1), else_=2).label(UNDO_OP),
                   or_(after, bypassed).label(UNDO_LATER), literal(1).label(UNDO_BEFORE),
                   or_(after, here).label(UNDO_MADE), *(store.c[c].label(c) for c in columns),
                   *(case((after, nxt.c[c]), else_=live.c[c]).label(f"{MADE}{n}") for n, c in enumerate(columns)))
            .select_from(store.outerjoin(nxt, and_(*(nxt.c[c] == store.c[c] for c in names),
                                                   nxt.c[vname] == store.c[vname] + 1))
                         .outerjoin(live, and_(*(live.c[c] == store.c[c] for c in names))))
            .where(spanned))
