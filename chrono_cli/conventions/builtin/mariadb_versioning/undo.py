"""What an inferred change set did to each of its keys in a MariaDB system-versioned timestamp table, for
``chrono revert`` (``BulkWriter.undo``; the reading is shapes/period_undo.py's).

Every row of ``FOR SYSTEM_TIME ALL`` is a period: the rows that start or end at one of the set's times (by the
set's span, in epoch seconds as ``read.periods`` times them) are read in one query, the current row among them by
its open end (the one current rows have, read from one of them); the live rows a thousand keys a query; the keys
the set deleted and that are gone, their latest start (a thousand keys a query).

Transaction-precise tables list exact change sets: a transaction id, the bound of the periods it ended and started,
so each key's one "time" is that id, compared as stored (``precise_undo``). Whether a key the set deleted came
back later is told by commit order (``mysql.transaction_registry``'s commit_id), as the timeline orders its
periods, not by the ids themselves.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select

from chrono_cli.conventions.base import MAX_CHANGES, EventQuery
from chrono_cli.conventions.builtin.mariadb_versioning.adapter import MariaDBVersioningAdapter
from chrono_cli.conventions.builtin.mariadb_versioning.options import REGISTRY, VersioningOptions, read_table
from chrono_cli.conventions.builtin.mariadb_versioning.read import moment, open_end
from chrono_cli.conventions.builtin.mariadb_versioning.systime import SystemTime, epoch, seconds
from chrono_cli.conventions.shapes.bulk import SPAN_PAD, Span, Undo
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
    query = select(*keys, *(table.c[c] for c in columns), start, end).select_from(every).where(
        or_(start.between(low, high), end.between(low, high)))
    still = open_end(ctx.conn, table, opts)
    found = collect(ctx.conn.execute(query), len(keys), columns, span.times, moment, lambda e: e != still)

    def reopened(gone: dict[Key, datetime]) -> set[Key]:
        out: set[Key] = set()
        for where in writer.key_filter(ctx, table, list(gone), None):
            for *key, newest in ctx.conn.execute(select(*keys, func.max(start)).select_from(every).where(where)
                                                 .group_by(*keys)):
                at = moment(newest)
                if at is not None and at > gone[tuple(key)]:
                    out.add(tuple(key))
        return out

    return undone(span.times, found, writer.live_rows(ctx, list(span.times), None), _no_start, reopened)


def _no_start(row: dict[str, Any]) -> None:
    """The live row's period is among the rows read (its open end tells it), not told by the live row."""
    return None
