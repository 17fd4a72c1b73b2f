"""A record's versions from ``FOR SYSTEM_TIME ALL``: each row is one state valid in [row start, row end).

An UPDATE closes the current row and opens the next at the same boundary, a DELETE only closes it: a row whose
end is not the next row's start was deleted, the next one re-created. Timestamp tables stamp each statement;
transaction-precise tables store InnoDB transaction ids, timed by their commit in ``mysql.transaction_registry``
(the transaction id is the change's exact change-set id and its version number, as Continuum numbers versions by
transaction; timestamp tables number a key's states 1, 2, ... in order). Columns ``WITHOUT SYSTEM VERSIONING`` are not
recorded: a history row holds their value of when it was closed, so only the live row shows them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, Table, and_, case, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from chrono_cli.conventions.base import Detection, ReadContext
from chrono_cli.conventions.builtin.mariadb_versioning.as_of import END, GONE, START, states_at
from chrono_cli.conventions.builtin.mariadb_versioning.options import REGISTRY, VersioningOptions, read_table
from chrono_cli.conventions.builtin.mariadb_versioning.systime import AS_OF, SystemTime, seconds
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.rows import fetch_live, key_where
from chrono_cli.conventions.shapes.period_events import light_versions
from chrono_cli.conventions.shapes.period_page import ROW, ROWS, cut, positioned
from chrono_cli.model import Op, RowKey, Version
from chrono_cli.records import Struct, replace

FROM, TO = "chrono_from", "chrono_to"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
NO_OP = "an UPDATE that changed no recorded value: the server wrote a version all the same"


class Period(Struct, frozen=True):
    """One row of ``FOR SYSTEM_TIME ALL``: the versioned values and the raw and timed bounds."""

    values: dict[str, Any]
    start: Any
    end: Any
    valid_from: datetime | None
    valid_to: datetime | None


class Stamped(Struct, frozen=True):
    """A version and the transaction that made it (transaction-precise tables; None elsewhere)."""

    version: Version
    transaction: int | None = None


@lru_cache(maxsize=4096)
def moment(epoch: Any) -> datetime | None:
    """Epoch seconds (a Decimal with microseconds) as an aware UTC time (cached: the rows of a change set, tens of
    thousands, share a few times)."""
    if epoch is None:
        return None
    value = Decimal(epoch)
    whole = int(value)
    return EPOCH + timedelta(seconds=whole, microseconds=int((value - whole) * 1_000_000))


def recorded(ctx: ReadContext, det: Detection) -> list[str]:
    """Live columns whose history the server keeps (period, unversioned and declared-unrecorded ones left out)."""
    opts = det.opts(VersioningOptions)
    skip = {*opts.bookkeeping(), *opts.unversioned, *ctx.config.unrecorded}
    return [c for c in ctx.info(det.live).columns if c not in skip]


def periods(ctx: ReadContext, det: Detection, table: Table, where: ColumnElement[bool],
            source: FromClause | None = None) -> list[tuple[tuple[Any, ...], Period]]:
    """(key, period) of every row of ``table`` (``read_table``) that ``where`` selects, in the order the versions
    of each key were written; from ``source`` (default: ``FOR SYSTEM_TIME ALL``)."""
    opts = det.opts(VersioningOptions)
    query = _selected(ctx, det, table).select_from(SystemTime(table) if source is None else source).where(where)
    rows = ctx.conn.execute(query.order_by(*(table.c[c] for c in det.key), table.c[opts.row_start],
                                           table.c[opts.row_end])).mappings().all()
    return _periods(ctx, det, rows)


def _selected(ctx: ReadContext, det: Detection, table: Table) -> Select[Any]:
    """The columns ``_periods`` reads: the key, the recorded values and the bounds (raw, and timed)."""
    opts = det.opts(VersioningOptions)
    cols = recorded(ctx, det)
    start, end = table.c[opts.row_start], table.c[opts.row_end]
    bounds = [start.label(START), end.label(END)]
    if not opts.transaction_precise:
        bounds += [seconds(start).label(FROM), seconds(end).label(TO)]
    return select(*(table.c[c] for c in det.key), *(table.c[c] for c in cols if c not in det.key), *bounds)


def _periods(ctx: ReadContext, det: Detection,
             rows: Sequence[Mapping[Any, Any]]) -> list[tuple[tuple[Any, ...], Period]]:
    """``periods`` of rows selected by ``_selected`` (in key, start, end order)."""
    opts = det.opts(VersioningOptions)
    cols = recorded(ctx, det)
    commits = _commits(ctx, {r[b] for r in rows for b in (START, END)}) if opts.transaction_precise else {}
    out: list[tuple[tuple[Any, ...], Period]] = []
    for r in rows:
        if opts.transaction_precise:
            (order_from, at_from), (_, at_to) = commits.get(r[START], (None, None)), commits.get(r[END], (None, None))
            period = Period({c: r[c] for c in cols}, r[START], r[END], moment(at_from), moment(at_to))
            out.append(((*(r[c] for c in det.key), order_from if order_from is not None else r[START]), period))
        else:
            period = Period({c: r[c] for c in cols}, r[START], r[END], moment(r[FROM]), moment(r[TO]))
            out.append(((*(r[c] for c in det.key), r[FROM]), period))
    out.sort(key=lambda kp: kp[0])  # transaction-precise: by commit order, not by transaction id
    width = len(det.key)
    return [(k[:width], p) for k, p in out]


def _commits(ctx: ReadContext, ids: Iterable[Any]) -> dict[Any, tuple[Any, Any]]:
    """transaction id -> (commit id, commit time as epoch seconds) from ``mysql.transaction_registry``."""
    wanted = [i for i in ids if i is not None]
    out: dict[Any, tuple[Any, Any]] = {}
    for i in range(0, len(wanted), 1000):
        query = select(REGISTRY.c.transaction_id, REGISTRY.c.commit_id,
                       seconds(REGISTRY.c.commit_timestamp)).where(
            REGISTRY.c.transaction_id.in_(wanted[i:i + 1000]))
        out.update({t: (c, at) for t, c, at in ctx.conn.execute(query)})
    return out


def stamped(ctx: ReadContext, det: Detection, key: RowKey, rows: list[Period] | None = None, *, first: int = 1,
            latest: bool = True) -> list[Stamped]:
    """Every state of ``key``, oldest first, each with the transaction that made it. Given ``rows``: those periods,
    the first one numbered ``first``; ``latest``: they end with the key's latest period."""
    opts = det.opts(VersioningOptions)
    info = ctx.info(det.live)
    if rows is None:
        table = read_table(info, opts)
        rows = [p for _, p in periods(ctx, det, table, key_where(table, key))]
    live = fetch_live(ctx.conn, info.table(), key)
    declared = tuple(c for c in info.columns if c in ctx.config.unrecorded)
    stale = tuple(dict.fromkeys((*declared, *opts.unversioned)))
    trx = opts.transaction_precise
    out: list[Stamped] = []
    prev: Period | None = None
    for n, p in enumerate(rows, first):
        op, note = Op.UPDATE, None
        if prev is None:
            op = Op.INSERT
        elif prev.end != p.start:  # the previous state ended with no successor: a deletion, then a re-creation
            out.append(Stamped(Version(values=None, op=Op.DELETE, number=prev.end if trx else None,
                                       valid_from=prev.valid_to, valid_to=p.valid_from), prev.end if trx else None))
            op = Op.INSERT
        elif all(same(prev.values[c], p.values[c]) for c in p.values):
            note = NO_OP
        current = live is not None and latest and n == first + len(rows) - 1
        values = dict(p.values)
        if live is not None and current:
            values.update({c: live[c] for c in opts.unversioned if c in live})
        out.append(Stamped(Version(values=values, op=op, number=p.start if trx else n, valid_from=p.valid_from,
                                   valid_to=None if current else p.valid_to,
                                   unrecorded=declared if current else stale, current=current, note=note),
                           p.start if trx else None))
        prev = p
    if prev is not None and live is None and latest:
        out.append(Stamped(Version(values=None, op=Op.DELETE, number=prev.end if trx else None,
                                   valid_from=prev.valid_to), prev.end if trx else None))
    return out


def light(ctx: ReadContext, det: Detection, table: Table, where: ColumnElement[bool],
          ) -> dict[tuple[Any, ...], list[Stamped]]:
    """``EventQuery.light`` on a timestamp table: the changes of the rows ``where`` selects (those starting or
    ending in the window), by key, from one query of their bounds (shapes/period_events.py), not each key's
    timeline: the key and time of each, its operation as the neighbouring rows say, no values. The keys come in the
    order ``MariaDBVersioningAdapter.changed_keys`` lists them (the newest start first)."""
    opts = det.opts(VersioningOptions)
    start, end = table.c[opts.row_start], table.c[opts.row_end]
    starts: dict[tuple[Any, ...], set[datetime]] = {}
    ends: dict[tuple[Any, ...], set[datetime]] = {}
    query = select(*(table.c[c] for c in det.key), seconds(start), seconds(end)).select_from(
        SystemTime(table)).where(where).order_by(start.desc())  # the keys newest start first, as ``changed_keys``
    still = open_end(ctx.conn, table, opts)
    for *key, s, e in ctx.conn.execute(query):
        starts.setdefault(tuple(key), set()).add(moment(s))  # type: ignore[arg-type]
        if e != still:
            ends.setdefault(tuple(key), set()).add(moment(e))  # type: ignore[arg-type]
    return {k: [Stamped(v) for v in found] for k, found in light_versions(starts, ends).items()}


def open_end(conn: Connection, table: Table, opts: VersioningOptions) -> Any:
    """The end of current rows, the same for all, as the periods are read (epoch seconds; a transaction-precise
    table's transaction id as stored): read from any of them (None: there is none)."""
    end = table.c[opts.row_end]
    return conn.execute(select(end if opts.transaction_precise else seconds(end)).select_from(table).limit(1)).scalar()


def versions(ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
    """Every state of ``key``, oldest first."""
    return [s.version for s in stamped(ctx, det, key)]


def page(ctx: ReadContext, det: Detection, key: RowKey, before: int | None, size: int) -> list[Version] | None:
    """``versions_page``: the key's rows of ``FOR SYSTEM_TIME ALL`` by window (``shapes.period_page``), in the
    order ``periods`` reads them (transaction-precise tables: by commit), a row whose start is not the previous
    row's end following a deletion, as ``stamped`` has it."""
    if before is not None and before <= 1:
        return []
    opts = det.opts(VersioningOptions)
    table = read_table(ctx.info(det.live), opts)
    start, end = table.c[opts.row_start], table.c[opts.row_end]
    source = SystemTime(table)
    order: list[ColumnElement[Any]] = [start, end]
    if opts.transaction_precise:
        source = SystemTime(table, outer=((REGISTRY, REGISTRY.c.transaction_id == start),))
        order = [func.coalesce(REGISTRY.c.commit_id, start), start, end]
    query = _selected(ctx, det, table).select_from(source).where(key_where(table, key))
    rows = positioned(ctx.conn, query, order, func.lag(end).over(order_by=order) != start, before, size)
    latest = not rows or rows[-1][ROW] == rows[-1][ROWS]
    found = stamped(ctx, det, key, [p for _, p in _periods(ctx, det, rows)], first=rows[0][ROW] if rows else 1,
                    latest=latest)
    return cut([s.version for s in found], rows, latest, before, size)



def state_at(ctx: ReadContext, det: Detection, key: RowKey, at: datetime) -> list[Version] | None:
    """The state valid at ``at`` (as the server answers ``FOR SYSTEM_TIME AS OF`` on a timestamp table; by commit
    order on a transaction-precise one, see as_of.py), after the state it followed (for its changes), each with its
    position in the timeline; None when the key had no state then.

    Positions come from one aggregate over the key's period bounds: periods written earlier, and how many of those
    ended with no successor (each a deletion, one timeline entry more)."""
    opts = det.opts(VersioningOptions)
    table = read_table(ctx.info(det.live), opts)
    where = key_where(table, key)
    if opts.transaction_precise:
        chosen = ctx.conn.execute(states_at(table, opts, det.key, recorded(ctx, det), at, where)).mappings().all()
        found = _periods(ctx, det, [r for r in chosen if not r[GONE]])
    else:
        found = periods(ctx, det, table, where, SystemTime(table, AS_OF, at))
    if not found:
        return None
    p = found[0][1]
    start, end = table.c[opts.row_start], table.c[opts.row_end]
    source: FromClause = SystemTime(table)
    if opts.transaction_precise:  # written in commit order, as ``periods`` orders them
        source = SystemTime(table, outer=((REGISTRY, REGISTRY.c.transaction_id == start),))
        order: ColumnElement[Any] = func.coalesce(REGISTRY.c.commit_id, start)
        here = _commits(ctx, [p.start]).get(p.start, (p.start, None))[0]
    else:
        order, here = start, p.start
    earlier = or_(order < here, and_(start == p.start, end < p.end))
    starts = select(start).select_from(SystemTime(table)).where(where).correlate(None)
    total, before, gaps = ctx.conn.execute(
        select(func.count(), func.coalesce(func.sum(case((earlier, 1), else_=0)), 0),
               func.coalesce(func.sum(case((and_(earlier, end.not_in(starts)), 1), else_=0)), 0))
        .select_from(source).where(where)).one()
    previous = [q for _, q in periods(ctx, det, table, and_(where, end == p.start))][-1:]
    rows = [*previous, p]
    states = stamped(ctx, det, key, rows, first=int(before) + 1 - len(previous), latest=int(total) == int(before) + 1)
    position = int(before) + int(gaps) + 1
    return [replace(s.version, seq=position - len(rows) + i) for i, s in enumerate(states[:len(rows)], 1)]
