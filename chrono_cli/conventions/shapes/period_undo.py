"""What an inferred change set did to each of its keys in a store of periods (the periods extension, temporal_tables,
MariaDB's system versioning), for ``chrono revert`` (``BulkWriter.undo``); and an exact one, where the periods'
bounds are transaction ids (MariaDB's transaction-precise tables: the set's id is the one "time" of each key).

Each row is one state valid in [start, end) (``shapes/period.py``): a change at T ends one period at T (an
update or a deletion) and starts another there (an update or an insert). So a set's change of a key is found by
its time alone: the period ending at T holds the state before it, the one starting at T the state it made, and
which of the two exist says the operation (both: an update; only an end: a deletion; only a start: an insert).
The row-by-row revert reads the key's whole timeline and takes the versions the set made: the state before the
first of them and the versions after the last. Here the same comes from the periods that start or end at one of
the set's times, found by the set's span (one query for every key), and the live rows (a thousand keys a query):

* before: the period ending at the key's first time (none: the set created the row);
* made: the period starting at its last time, the live row when it is the live one, else the row was deleted;
* later: that period is closed (a change followed), or the set deleted the row and it exists again or a period of
  it started after that (one more query, for the keys the set deleted and that are still gone).

The store's writers never leave periods of one key that overlap (both ends are the transaction's or statement's
time, a period starts where the one it replaces ends): the periods found by time are the neighbours the timeline
would show. A key with a time that matches no period, or two periods ending (or starting) at one of its times,
is answered with ``op`` None: the row-by-row code reads it. An insert's ``before_gone`` is not looked for (the
revert deletes a row the set inserted, whether or not it existed before).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.rows import as_utc
from chrono_cli.conventions.shapes.bulk import SPAN_PAD, Span, Undo, stored_moment
from chrono_cli.conventions.shapes.common import declared
from chrono_cli.conventions.shapes.period import bounds
from chrono_cli.conventions.shapes.period_events import bound_columns
from chrono_cli.conventions.shapes.window import time_pair
from chrono_cli.conventions.writes.base import WriteContext

if TYPE_CHECKING:
    from chrono_cli.conventions.shapes.period_bulk import PeriodBulk

Key = tuple[Any, ...]
# each key's times of the set's changes: aware times (an inferred set's ``Span.times``), or the one transaction id of
# an exact set where the store's bounds are transaction ids (MariaDB's transaction-precise tables)
Times = Mapping[Key, Collection[Any]]
AMBIGUOUS = object()  # two periods of one key end (or start) at the same time: not a timeline the store writes


class Found:
    """The periods of one key that end or start at one of the set's times: by time, the values (``AMBIGUOUS``
    where two do), and for a start whether that period is closed."""

    __slots__ = ("ends", "starts")

    def __init__(self) -> None:
        self.ends: dict[Any, Any] = {}
        self.starts: dict[Any, tuple[Any, bool]] = {}

    def end(self, at: Any, values: dict[str, Any]) -> None:
        self.ends[at] = AMBIGUOUS if at in self.ends else values

    def start(self, at: Any, values: dict[str, Any], closed: bool) -> None:
        self.starts[at] = (AMBIGUOUS, closed) if at in self.starts else (values, closed)


def collect(rows: Iterable[Sequence[Any]], width: int, columns: Sequence[str], times: Times,
            moment: Callable[[Any], Any], closed: Callable[[Any], bool]) -> dict[Key, Found]:
    """The periods of ``rows`` (the key, the recorded values, the raw start and end) that start or end at one of
    their key's ``times`` (an inferred set's ``Span.times``), by key; ``moment``: a raw bound as those times are
    (the listing's time, or a transaction id as stored); ``closed``: a raw end closes the period (not the live row's
    open end)."""
    out: dict[Key, Found] = {}
    n = width + len(columns)
    for row in rows:
        key = tuple(row[:width])
        mine = times.get(key)
        if mine is None:
            continue
        start, end = moment(row[n]), moment(row[n + 1])
        ends, starts = end in mine and closed(row[n + 1]), start in mine
        if not (ends or starts):
            continue
        found = out.get(key)
        if found is None:
            found = out[key] = Found()
        values = dict(zip(columns, row[width:n], strict=True))
        if ends:
            found.end(end, values)
        if starts:
            found.start(start, values, closed(row[n + 1]))
    return out


def undone(times_of: Times, found: Mapping[Key, Found], currents: Mapping[Key, dict[str, Any]],
           live_start: Callable[[dict[str, Any]], Any],
           reopened: Callable[[dict[Key, Any]], set[Key]]) -> dict[Key, Undo]:
    """Each key of ``times_of`` (its times, as ``collect``'s) with what the set did to it (see the module), from its
    periods ``found``, the live rows ``currents`` (whose period starts at ``live_start``) and ``reopened``: of keys
    the set deleted (with the time of that deletion) and that are gone, those with a period started after it."""
    out: dict[Key, Undo] = {}
    gone: dict[Key, Any] = {}
    for key, times in times_of.items():
        f = found.get(key) or Found()
        current = currents.get(key)
        if current is not None and (at := live_start(current)) in times:
            f.start(at, current, False)
        first, last = min(times), max(times)
        before = f.ends.get(first)
        started = f.starts.get(first)
        op = None if before is AMBIGUOUS or (started and started[0] is AMBIGUOUS) \
            or any(t not in f.ends and t not in f.starts for t in times) \
            else 1 if before is not None and started else 2 if before is not None else 0 if started else None
        made = f.starts.get(last)
        if made is not None and made[0] is AMBIGUOUS:
            op = None
        if op is None:
            out[key] = Undo(None, None, None, later=True, current=current)
            continue
        if made is None and current is None:
            gone[key] = last
        out[key] = Undo(op, None if made is None else made[0], before,
                        later=made[1] if made is not None else current is not None, current=current)
    for key in reopened(gone) if gone else ():
        out[key] = Undo(out[key].op, None, out[key].before, later=True, current=None)
    return out


def period_undo(writer: PeriodBulk, ctx: WriteContext, span: Span) -> dict[Key, Undo]:
    """``undone`` for a PostgreSQL period store (the periods extension, temporal_tables): the history rows ending
    or starting in the span, in one query; the live rows; the deleted keys' later periods (a thousand a query)."""
    store, dec, columns = ctx.store, declared(ctx.det), writer.recorded(ctx)
    stored = {b: h for h, b in dec.data}
    start, end = bound_columns(dec, store)
    zone, dialect = ctx.config.timezone, ctx.conn.dialect.name

    def within(column: Any) -> ColumnElement[bool]:
        low, low_value = time_pair(column, span.oldest - SPAN_PAD, zone, dialect)
        high, high_value = time_pair(column, span.newest + SPAN_PAD, zone, dialect)
        return and_(low >= low_value, high <= high_value)

    keys = [store.c[c] for c in dec.key]
    query = select(*keys, *(store.c[stored[c]] for c in columns), start, end).where(or_(within(end), within(start)))
    found = collect(ctx.conn.execute(query), len(keys), columns, span.times, stored_moment(zone), lambda e: True)
    currents = writer.live_rows(ctx, list(span.times), None)

    def live_start(row: dict[str, Any]) -> datetime | None:
        return bounds(dec, row, zone)[0]

    def reopened(gone: dict[Key, datetime]) -> set[Key]:
        out: set[Key] = set()
        for where in writer.key_filter(ctx, store, list(gone), None):
            for *key, newest in ctx.conn.execute(select(*keys, func.max(start)).where(where).group_by(*keys)):
                moment = as_utc(newest, zone)
                if moment is not None and moment > gone[tuple(key)]:
                    out.add(tuple(key))
        return out

    return undone(span.times, found, currents, live_start, reopened)
