"""What an inferred change set did to each of its keys in a MariaDB system-versioned timestamp table, for
``chrono revert`` (``BulkWriter.undo``; the reading is shapes/period_undo.py's).

Every row of ``FOR SYSTEM_TIME ALL`` is a period: the rows that start or end at one of the set's times (by the
set's span, in epoch seconds as ``read.periods`` times them) are read in one query, the current row among them by
its open end (the one current rows have, read from one of them); the live rows a thousand keys a query; the keys
the set deleted and that are gone, their latest start (a thousand keys a query). Where every change of the set has
one time (one statement's, as a timestamp table stamps the rows it changes), the same is one SELECT too
(``versioning_undo_query``), for a revert planned by the database (shapes/undo_plan.py).

Transaction-precise tables list exact change sets: a transaction id, the bound of the periods it ended and started,
so each key's one "time" is that id, compared as stored (``precise_undo``). Whether a key the set deleted came
back later is told by commit order (``mysql.transaction_registry``'s commit_id), as the timeline orders its
periods, not by the ids themselves.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, case, func, literal, or_, select, true
from sqlalchemy.sql import Select

from chrono_cli.conventions.base import MAX_CHANGES, EventQuery
from chrono_cli.conventions.builtin.mariadb_versioning.adapter import MariaDBVersioningAdapter
from chrono_cli.conventions.builtin.mariadb_versioning.options import REGISTRY, VersioningOptions, read_table
from chrono_cli.conventions.builtin.mariadb_versioning.read import moment, open_end
from chrono_cli.conventions.builtin.mariadb_versioning.systime import SystemTime, epoch, seconds
from chrono_cli.conventions.shapes.bulk import MADE, SPAN_PAD, UNDO_BEFORE, UNDO_LATER, UNDO_MADE, UNDO_OP, Span, Undo
from chrono_cli.conventions.shapes.period_undo import Key, collect, undone
from chrono_cli.conventions.writes.base import WriteContext

if TYPE_CHECKING:
    from chrono_cli.conventions.builtin.mariadb_versioning.write import VersioningBulk


def precise_undo(writer: VersioningBulk, ctx: WriteContext, group: int) -> dict[Key, Undo] | None:
    """Each key transaction ``group`` changed in a transaction-precise table with what it did to it; None for a
    timestamp table (its change sets are inferred)."""
    opts = ctx.det.opts(VersioningOptions)
    if not opts.transaction_precise:
        return None
    table = read_table(ctx.live_info, opts)
    keys = [table.c[c] for c in ctx.det.key]
    columns = writer.recorded(ctx)
    start, end = table.c[opts.row_start], table.c[opts.row_end]
    every = SystemTime(table, same=(ctx.store, ctx.live))
    (cond,) = MariaDBVersioningAdapter.conditions(table, opts, EventQuery(group=group))
    # the keys in the order the change set lists them (the reverse of the listing's query: ``changes._changeset``)
    listed = ctx.conn.execute(MariaDBVersioningAdapter.changed_keys(table, opts, ctx.det.key, cond, MAX_CHANGES + 1))
    times = dict.fromkeys(reversed(dict.fromkeys(tuple(r) for r in listed)), (group,))
    if not times:
        return {}
    rows = ctx.conn.execute(select(*keys, *(table.c[c] for c in columns), start, end).select_from(every)
                            .where(cond))
    still = open_end(ctx.conn, table, opts)
    found = collect(rows, len(keys), columns, times, lambda bound: bound, lambda e: e != still)
    commit = select(REGISTRY.c.commit_id).where(REGISTRY.c.transaction_id == group).scalar_subquery()

    def reopened(gone: dict[Key, Any]) -> set[Key]:
        out: set[Key] = set()
        later = SystemTime(table, same=(ctx.store, ctx.live), outer=((REGISTRY, REGISTRY.c.transaction_id == start),))
        for where in writer.key_filter(ctx, table, list(gone), None):
            out |= {tuple(r) for r in ctx.conn.execute(select(*keys).select_from(later).where(
                where, REGISTRY.c.commit_id > commit).distinct())}
        return out

    return undone(times, found, writer.live_rows(ctx, list(times), None), _no_start, reopened)


def versioning_undo(writer: VersioningBulk, ctx: WriteContext, span: Span) -> dict[Key, Undo] | None:
    """Each key of ``span`` with what the set did to it; None for a transaction-precise table (``precise_undo``)."""
    opts = ctx.det.opts(VersioningOptions)
    if opts.transaction_precise:
        return None
    table = read_table(ctx.live_info, opts)
    keys = [table.c[c] for c in ctx.det.key]
    columns = writer.recorded(ctx)
    start, end = seconds(table.c[opts.row_start]), seconds(table.c[opts.row_end])
    low, high = epoch(span.oldest - SPAN_PAD), epoch(span.newest + SPAN_PAD)
    every = SystemTime(table, same=(ctx.store, ctx.live))
    names = list(ctx.live.columns.keys())
    rest = [c for c in names if c not in ctx.det.key and c not in columns]  # unversioned, explicit period columns
    query = select(*keys, *(table.c[c] for c in columns), start, end, *(table.c[c] for c in rest)).select_from(
        every).where(or_(start.between(low, high), end.between(low, high)))
    still = open_end(ctx.conn, table, opts)
    rows = ctx.conn.execute(query).all()
    found = collect(rows, len(keys), columns, span.times, moment, lambda e: e != still)
    order: list[str | None] = [*ctx.det.key, *columns, None, None, *rest]  # the bounds as epoch seconds: no column
    currents = _current(rows, len(keys), len(keys) + len(columns) + 1, {c: order.index(c) for c in names},
                        span.times, still)
    missing = [k for k in span.times if k not in currents]  # no current row in the window: changed since, or gone
    currents.update(writer.live_rows(ctx, missing, None) if missing else {})

    def reopened(gone: dict[Key, datetime]) -> set[Key]:
        out: set[Key] = set()
        for where in writer.key_filter(ctx, table, list(gone), None):
            for *key, newest in ctx.conn.execute(select(*keys, func.max(start)).select_from(every).where(where)
                                                 .group_by(*keys)):
                at = moment(newest)
                if at is not None and at > gone[tuple(key)]:
                    out.add(tuple(key))
        return out

    return undone(span.times, found, currents, _no_start, reopened)


def _current(rows: Sequence[Sequence[Any]], width: int, end: int, at: Mapping[str, int], keys: Collection[Key],
             still: Any) -> dict[Key, dict[str, Any]]:
    """The live rows of ``keys`` among ``rows`` of ``FOR SYSTEM_TIME ALL`` (the key's ``width`` columns first; the
    end at ``end``, as ``still`` is; each live column at ``at``), by key, as ``BulkWriter.live_rows`` reads them:
    the row with the open end is the current row, every column of it (one WITHOUT SYSTEM VERSIONING too) live."""
    out: dict[Key, dict[str, Any]] = {}
    for row in rows:
        if row[end] == still and (key := tuple(row[:width])) in keys:
            out[key] = {c: row[i] for c, i in at.items()}
    return out


def versioning_undo_query(writer: VersioningBulk, ctx: WriteContext, span: Span) -> Select[Any] | None:
    """``versioning_undo`` as one SELECT (``BulkWriter.undo_query``) where every change of ``span`` has the same
    time T: one row per key with a period ending or starting at T, with the period ending at T (the state before)
    and the one starting at T (the state the set left; a change followed where it is closed). Only a key with one
    of each is an update (``UNDO_OP`` 1); two periods ending (or starting) at T, as ``collect`` calls AMBIGUOUS,
    are left out of the join, so the key is no quick restore and the table is planned in Python, as is a key
    the set did not change (the revert checks the keys are the set's). None for a transaction-precise table or
    a set of several times (a key's own time could only be told here by sending every key's times)."""
    opts = ctx.det.opts(VersioningOptions)
    if opts.transaction_precise or span.oldest != span.newest:
        return None
    table = read_table(ctx.live_info, opts)
    names, columns = list(ctx.det.key), writer.recorded(ctx)
    start, end = seconds(table.c[opts.row_start]), seconds(table.c[opts.row_end])
    at = epoch(span.oldest)  # a time of the set: never the open end of current rows
    every = SystemTime(table, same=(ctx.store, ctx.live))
    cols = [table.c[c] for c in (*names, *columns)]
    ended = select(*cols).select_from(every).where(end == at).subquery("chrono_before")
    begun = select(*cols, end.label("chrono_end")).select_from(every).where(start == at).subquery("chrono_made")
    keys = select(*(table.c[c] for c in names), func.sum(case((end == at, 1), else_=0)).label("chrono_ends"),
                  func.sum(case((start == at, 1), else_=0)).label("chrono_starts")).select_from(every).where(
        or_(start == at, end == at)).group_by(*(table.c[c] for c in names)).subquery("chrono_keys")
    before, made = ended.c[names[0]].is_not(None), begun.c[names[0]].is_not(None)
    still = open_end(ctx.conn, table, opts)
    later = true() if still is None else begun.c.chrono_end != still
    return (select(*(keys.c[c] for c in names), case((and_(before, made), 1), (made, 0), (before, 2)).label(UNDO_OP),
                   later.label(UNDO_LATER), case((before, literal(1)), else_=None).label(UNDO_BEFORE),
                   made.label(UNDO_MADE), *(ended.c[c].label(c) for c in columns),
                   *(begun.c[c].label(f"{MADE}{n}") for n, c in enumerate(columns)))
            .select_from(keys.outerjoin(ended, and_(*(ended.c[c] == keys.c[c] for c in names), keys.c.chrono_ends == 1))
                         .outerjoin(begun, and_(*(begun.c[c] == keys.c[c] for c in names),
                                                keys.c.chrono_starts == 1))))


def _no_start(row: dict[str, Any]) -> None:
    """The live row's period is among the rows read (its open end tells it), not told by the live row."""
    return None
