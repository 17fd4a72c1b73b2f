"""Old-state shape: each history row is a copy of the base row as it was *before* a change.

A declared layout names the roles (``version`` or ``changed`` orders the rows; ``changed`` is when that state
ended; ``operation`` says whether an update or a delete ended it). The live row is the newest state.

A library's paired store (history_meta, Chrononaut 0.2, plugins) is an ``OldStateLayout``: the store is keyed by
the base key + an integer version, ``read_old_state`` and ``old_state_events`` read it, and
``shapes.old_state_write.OldStateWriter`` writes it. Row v is the state replaced at its time; the change that
produced state v+1 is described by the metadata of row v.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any, ClassVar

from sqlalchemy import and_, func, select

from chrono_cli.conventions.base import ConventionAdapter, Detection, EventQuery, ReadContext
from chrono_cli.conventions.diffs import field_changes
from chrono_cli.conventions.pickaxe import old_state_match
from chrono_cli.conventions.rows import as_utc, fetch_live, key_where, streamed, utc_reader
from chrono_cli.conventions.shapes.common import (
    Entry,
    Origin,
    declared,
    iter_entries,
    iter_states_before,
    live_columns,
    recorded_columns,
    stream_history_rows,
)
from chrono_cli.conventions.shapes.window import window
from chrono_cli.errors import UnsupportedOperation
from chrono_cli.model import Op, RowChange, RowKey, Version
from chrono_cli.records import Struct, replace


def unrecorded(ctx: ReadContext, det: Detection, recorded: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Base columns missing from history versions, and those missing from the current one (declared only)."""
    live_cols = list(ctx.info(det.live).columns)
    declared_out = tuple(c for c in live_cols if c in ctx.config.unrecorded)
    return tuple(c for c in live_cols if c not in recorded), declared_out


def read(ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
    """Every state of ``key``: the history rows in order, then the live row (or the deletion)."""
    return list(stream(ctx, det, key))


def stream(ctx: ReadContext, det: Detection, key: RowKey) -> Iterator[Version]:
    """``read`` one state at a time, the history rows streamed from the server."""
    dec = declared(det)
    recorded = recorded_columns(ctx, dec)
    live = fetch_live(ctx.conn, ctx.info(det.live).table(), key)
    hist_out, cur_out = unrecorded(ctx, det, recorded)
    entries = iter_entries(ctx, dec, stream_history_rows(ctx, det, key, dec))
    yield from iter_states_before(entries, live, live_columns(ctx, det), hist_out, cur_out)


def events(ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
    """Changes in the window: a history row's time is when the next state began."""
    from chrono_cli.conventions.shapes.events import declared_events

    return declared_events(ctx, det, query, read)


Meta = Callable[[Mapping[Any, Any]], tuple[str | None, str | None, str | None]]  # actor, reason, note


class OldStateLayout(Struct, frozen=True):
    """How one library lays out an old-state store."""

    meta_columns: frozenset[str]
    first_version: int
    meta: Meta | None = None
    # history_meta appends single-table-inheritance subclass columns after the time column and never writes them
    # on updates (conventions.md 2A): a NULL there is not recorded (unknown), never shown as NULL
    appended_unwritten: bool = False


def read_old_state(ctx: ReadContext, det: Detection, key: RowKey, layout: OldStateLayout) -> list[Version]:
    """Every state of ``key``: history rows by version, then the live row (or a deletion)."""
    return list(stream_old_state(ctx, det, key, layout))


def stream_old_state(ctx: ReadContext, det: Detection, key: RowKey, layout: OldStateLayout) -> Iterator[Version]:
    """``read_old_state`` one state at a time, the history rows streamed from the server.

    The states are built by the old-state shape engine (``shapes.common.iter_states_before``), the same one
    declared old-state layouts use; this library layout adds its version numbering and metadata reader.
    """
    store = ctx.info(det.store).table()
    order = store.c[det.version_col or "version"]
    rows = streamed(ctx.conn, select(store).where(key_where(store, key)).order_by(order))
    live = fetch_live(ctx.conn, ctx.info(det.live).table(), key)
    return _old_states(ctx, det, layout, rows, live)


def page_old_state(ctx: ReadContext, det: Detection, key: RowKey, layout: OldStateLayout, before: int | None,
                   size: int) -> list[Version]:
    """Up to ``size`` states before position ``before`` (None: the newest), with the state just before them,
    oldest first, each ``seq`` its position in the whole timeline; only the window's history rows are read.

    History row i is state i (this layout records no operation, so no row adds a deletion in the middle); the
    live row, or the deletion when there is none, is the state after the last row. A state's time, actor and
    reason come from the row before it: the window starts one row early, and that row's own state (its
    metadata unknown here) is the predecessor, kept only when it is a state of the window (position 1)."""
    store = ctx.info(det.store).table()
    where = key_where(store, key)
    rows = ctx.conn.execute(select(func.count()).select_from(store).where(where)).scalar_one()
    live = fetch_live(ctx.conn, ctx.info(det.live).table(), key)
    total = rows + 1 if rows or live is not None else 0
    last = total if before is None else min(before - 1, total)
    if last < 1:
        return []
    start = max(1, last - size)  # the predecessor of the page's first state, or state 1
    early = max(1, start - 1)  # the row that gives ``start`` its metadata (``start`` itself when it is the first)
    upto = min(last, rows)
    window = list(ctx.conn.execute(
        select(store).where(where).order_by(store.c[det.version_col or "version"].desc())
        .offset(rows - upto).limit(max(0, upto - early + 1))).mappings()) if upto >= early else []
    states = list(_old_states(ctx, det, layout, reversed(window), live if last == total else None))
    states = states[start - early:last - early + 1]  # a window without the live row ends in no deletion
    return [replace(v, seq=start + i) for i, v in enumerate(states)]


def _old_states(ctx: ReadContext, det: Detection, layout: OldStateLayout, rows: Iterable[Mapping[Any, Any]],
                live: dict[str, Any] | None) -> Iterator[Version]:
    """The states of the history ``rows`` (in version order), then ``live`` (or the deletion, None)."""
    live_info, store_info = ctx.info(det.live), ctx.info(det.store)
    vcol = det.version_col or "version"
    tz = ctx.config.timezone
    skip = layout.meta_columns | {vcol}
    declared = set(ctx.config.unrecorded)
    live_cols = [c for c in live_info.columns if c not in skip]
    store_cols = [c for c in store_info.columns if c not in skip and c not in declared]
    unwritten = set(appended_columns(list(store_info.columns), det.time_col or "changed")) & set(store_cols) \
        if layout.appended_unwritten else set()
    hist_unrecorded = tuple(c for c in live_cols if c not in store_cols)
    cur_unrecorded = tuple(c for c in live_cols if c in declared)
    seen = False  # whether the store holds any row of the key (known once the first row arrives)

    def entries() -> Iterator[Entry]:
        nonlocal seen
        for row in rows:
            seen = True
            actor, reason, note = layout.meta(row) if layout.meta else (None, None, None)
            yield Entry(values={c: row[c] for c in store_cols if c not in unwritten or row[c] is not None},
                        op=None, number=row[vcol], at=as_utc(row.get(det.time_col or "changed"), tz), actor=actor,
                        reason=reason, note=note)

    first = layout.first_version
    origin = Origin(first=lambda n: Op.INSERT if n == first or (n is None and not seen) else Op.UNKNOWN,
                    note=None, no_history=None)
    yield from iter_states_before(entries(), live, [c for c in live_cols if c not in declared], hist_unrecorded,
                                  cur_unrecorded, origin, live_number=None if live is None else live.get(vcol))


def appended_columns(order: list[str], time_col: str) -> list[str]:
    """Store columns after the time column: where history_meta appends subclass columns it never writes."""
    return order[order.index(time_col) + 1:] if time_col in order else []


class OldStateAdapter(ConventionAdapter):
    """A paired old-state store read and listed by the engine: a subclass sets ``name``, ``title``,
    ``paired_suffixes`` and ``layout`` and writes ``detect`` (a ``Detection`` with ``version_col``/``time_col``)."""

    layout: ClassVar[OldStateLayout]

    def versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        return read_old_state(ctx, det, key, self.layout)

    def iter_versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> Iterator[Version]:
        return stream_old_state(ctx, det, key, self.layout)

    def versions_page(self, ctx: ReadContext, det: Detection, key: RowKey, before: int | None,
                      size: int) -> list[Version] | None:
        return page_old_state(ctx, det, key, self.layout, before, size)

    def events(self, ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
        unwritten = appended_columns(list(ctx.info(det.store).columns), det.time_col or "changed") \
            if self.layout.appended_unwritten else ()
        return old_state_events(ctx, det, query, self.layout.meta_columns, self.layout.meta, unwritten)


def _which_changes(ctx: ReadContext, det: Detection, query: EventQuery, where: Any,
                   meta: Meta | None) -> list[RowChange]:
    """``EventQuery.light``: the history rows' keys, times and metadata alone (no next state read, so no
    operation, field changes or note), as plain tuples: a change set of 100,000 rows is found in a fraction of the
    time."""
    store = ctx.info(det.store).table()
    keycols, tname = list(det.key), det.time_col or "changed"
    # the metadata reads the whole row; without it the keys and the time are all a row is read for
    names = list(store.columns.keys()) if meta else [tname, *keycols]
    at, keys, moment = names.index(tname), [names.index(k) for k in keycols], utc_reader(ctx.config.timezone)
    rows = ctx.conn.execute(select(*(store.c[n] for n in names)).where(where).order_by(
        store.c[tname].desc(), store.c[det.version_col or "version"].desc()).limit(query.limit)).all()
    live, unknown = det.live, Op.UNKNOWN
    if meta is None and len(keys) == 1:  # the common case, a hundred thousand rows: the least work per row
        only, i = keycols[0], keys[0]
        return [RowChange(live, RowKey(((only, row[i]),)), unknown, moment(row[at])) for row in rows]
    out: list[RowChange] = []
    for row in rows:
        actor, reason, note = meta(dict(zip(names, row, strict=True))) if meta else (None, None, None)
        out.append(RowChange(live, RowKey(tuple(zip(keycols, [row[i] for i in keys], strict=True))), unknown,
                             moment(row[at]), actor, reason, note=note))
    return out


def old_state_events(ctx: ReadContext, det: Detection, query: EventQuery, skip: frozenset[str],
                     meta: Meta | None, unwritten: Collection[str] = ()) -> list[RowChange]:
    """history_meta / Chrononaut 0.2: each history row v is a change that ended state v at ``changed``.

    ``unwritten``: store columns the library may leave NULL without recording anything (history_meta's
    single-table-inheritance columns); a NULL there is unknown, so it takes part in no change."""
    if query.group is not None:
        return []
    if det.time_col is None:
        raise UnsupportedOperation(f"{det.store} has no time column, so its changes cannot be listed by time")
    store, live = ctx.info(det.store).table(), ctx.info(det.live).table()
    vname, tname = det.version_col or "version", det.time_col
    tz = ctx.config.timezone
    # each row with the state after it (the next row, else the live row) in one statement: two index probes a row
    nxt = store.alias("next_state")
    keycols = list(det.key)
    where = window(store.c[tname], query, tz, ctx.conn.dialect.name)
    if query.light and not query.match:
        return _which_changes(ctx, det, query, where, meta)
    narrow = old_state_match(store, nxt, live, keycols, query.match, ctx.conn.dialect.name) if query.match else None
    if narrow is not None:
        where = and_(where, narrow)
    joined = store.outerjoin(nxt, and_(*[nxt.c[k] == store.c[k] for k in keycols],
                                       nxt.c[vname] == store.c[vname] + 1))
    joined = joined.outerjoin(live, and_(*[live.c[k] == store.c[k] for k in keycols]))
    names = list(store.columns.keys())
    found = ctx.conn.execute(
        select(store, *[nxt.c[c].label(f"_next_{i}") for i, c in enumerate(names)],
               *[live.c[c].label(f"_live_{i}") for i, c in enumerate(live.columns.keys())])
        .select_from(joined).where(where)
        .order_by(store.c[tname].desc(), store.c[vname].desc()).limit(query.limit)).mappings().all()
    if not found:
        return []
    columns = [c for c in names if c not in skip and c not in ctx.config.unrecorded]
    live_names = list(live.columns.keys())
    probe_next, probe_live = f"_next_{names.index(keycols[0])}", f"_live_{live_names.index(keycols[0])}"
    out: list[RowChange] = []
    for f in found:
        r = {c: f[store.c[c]] for c in names}
        key = tuple(r[k] for k in keycols)
        new = {c: f[f"_next_{i}"] for i, c in enumerate(names)} if f[probe_next] is not None else None
        current = {c: f[f"_live_{i}"] for i, c in enumerate(live_names)} if f[probe_live] is not None else None
        note = None
        if new is None and current is not None:
            new = current
            if current.get(vname) != r[vname] + 1:
                note = f"the live row is version {current.get(vname)}: a write bypassed history"
        actor, reason, meta_note = meta(r) if meta else (None, None, None)
        op = Op.DELETE if new is None else Op.UPDATE
        out.append(RowChange(det.live, RowKey(tuple(zip(keycols, key, strict=True))), op, as_utc(r[tname], tz),
                             actor, reason, field_changes(r, new, [c for c in columns if c not in unwritten
                                                           or r[c] is not None]), note=note or meta_note))
    return out
