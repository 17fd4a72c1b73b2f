"""What an inferred change set did to each of its keys in a PaperTrail ``versions`` table, for ``chrono revert``
(``BulkWriter.undo``).

The row-by-row revert reads a record's timeline (adapter.after_states: a version is the state its event produced,
the next version's ``object``, the live row after the newest) and takes the state before the set's first version F.
That is F's own ``object`` unless F or the version P before it is a touch (a touch's object is the state after it)
or F holds no object: those keys are decided by ``after_states`` itself on P and F, decoded whole. So the answer
takes the set's span of versions (one query, documents decoded with the adapter's own ``decode_row``), the
version before each key's first in the span (one query a thousand keys: its event, and the changes of an update,
which say whether it is a touch) and whether a version follows each key's last (likewise), and the live rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from chrono_cli.conventions.builtin.paper_trail import codec
from chrono_cli.conventions.builtin.paper_trail.adapter import OPS, PaperTrailOptions, Row, after_states, decode_row
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.shapes import staging
from chrono_cli.conventions.shapes.bulk import CHUNK, SPAN_PAD, UNDO_OPS, Span, Undo, stored_moment
from chrono_cli.conventions.shapes.timeline_bulk import staged
from chrono_cli.conventions.shapes.window import time_pair
from chrono_cli.conventions.types import is_json
from chrono_cli.conventions.writes.base import WriteContext
from chrono_cli.model import Op
from chrono_cli.records import replace

if TYPE_CHECKING:
    from chrono_cli.conventions.builtin.paper_trail.bulk import PaperTrailBulk

FIELDS = ("id", "created_at", "event", "object", "object_changes")  # what decode_row reads (metadata aside)


def paper_trail_undo(writer: PaperTrailBulk, ctx: WriteContext, span: Span) -> dict[tuple[Any, ...], Undo] | None:
    """Each key of ``span`` with what the set did to it; None where the set-based revert could not write exactly
    what the row-by-row one writes: a store without ``object_changes`` (every update reads as a touch there), a
    state before the set holding a column the set-based write does not stage or missing one a re-insert needs, or
    rows that disagree on whether a column stored as text of its own changes (``_uniform``)."""
    opts = ctx.det.opts(PaperTrailOptions)
    if not opts.changes:
        return None
    opts = replace(opts, metadata=())
    store, tz = ctx.store, ctx.config.timezone
    columns, name = ctx.live_info.columns, ctx.det.live.name
    low, low_value = time_pair(store.c.created_at, span.oldest - SPAN_PAD, tz, ctx.conn.dialect.name)
    high, high_value = time_pair(store.c.created_at, span.newest + SPAN_PAD, tz, ctx.conn.dialect.name)
    query = (select(store.c.item_id, *(store.c[c] for c in FIELDS))
             .where(writer.mine(ctx), low >= low_value, high <= high_value))
    moment, times = stored_moment(tz), span.times
    spanned: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
    for row in ctx.conn.execute(query).all():  # one fetch, plain rows: cheap for 100,000 rows
        key = (row[0],)
        if key in times:
            spanned.setdefault(key, []).append((moment(row[2]), *row[1:]))
    bounds: dict[tuple[Any, ...], tuple[int, int]] = {}
    for key, rows in spanned.items():
        rows.sort(key=lambda r: (r[0], r[1]))  # PaperTrail's order: created_at, then id
        made = [i for i, r in enumerate(rows) if r[0] in times[key]]
        if made:
            bounds[key] = (made[0], made[-1])

    def decoded(row: tuple[Any, ...]) -> Row:
        return decode_row(dict(zip(FIELDS, row[1:], strict=True)), columns, opts, tz, name)

    keys = list(bounds)
    earlier = _newest_before(writer, ctx, [k for k in keys if bounds[k][0] == 0], low < low_value)
    later = {k for k in keys if bounds[k][1] < len(spanned[k]) - 1}
    later |= _any_after(writer, ctx, [k for k in keys if k not in later], high > high_value)
    currents = writer.live_rows(ctx, keys, None)
    recorded = writer.recorded(ctx)
    out: dict[tuple[Any, ...], Undo | None] = {}
    wanted: dict[tuple[Any, ...], Any] = {}  # keys whose version before the set is read whole
    for key in keys:
        first, last = bounds[key]
        rows = spanned[key]
        head = decoded(rows[first])
        prev: Row | tuple[Any, ...] | None = decoded(rows[first - 1]) if first else earlier.get(key)
        if isinstance(prev, tuple):
            event, changes, version_id = prev
            if OPS.get(event) is not Op.DELETE and (head.touch or head.before is None
                                                     or (event == "update" and not isinstance(changes, dict))):
                wanted[key] = version_id  # a touch, or a state after_states builds: P decoded whole
                continue
        out[key] = _undo(head, prev, decoded(rows[last]) if last != first else head, key in later,
                         currents.get(key), recorded, ctx)
    if wanted:
        whole = _versions(writer, ctx, list(wanted.values()))
        for key, version_id in wanted.items():
            first, last = bounds[key]
            head = decoded(spanned[key][first])
            out[key] = _undo(head, decode_row(whole[version_id], columns, opts, tz, name),
                             decoded(spanned[key][last]), key in later, currents.get(key), recorded, ctx)
    done = {k: u for k, u in out.items() if u is not None}
    return done if len(done) == len(out) and _uniform(done, recorded, ctx) else None


def _uniform(undo: Mapping[tuple[Any, ...], Undo], recorded: Sequence[str], ctx: WriteContext) -> bool:
    """Whether each column whose value may be stored as other text when written back as read (JSON but jsonb,
    SQLite's times and decimals: see ``staging.compared``) is changed by every restored row or by none that holds a
    value. The set-based UPDATE writes a column for every row or for none (bulk.kept_columns); the row-by-row one
    writes only what changes, so where the rows disagree the revert goes row by row."""
    types = ctx.live_info.columns
    loose = [c for c in recorded if not staging.compared(ctx, types[c].type)
             or (is_json(types[c].type) and not isinstance(types[c].type, JSONB))]
    rows = [u for u in undo.values() if u.before is not None and u.current is not None]
    return all(len({same(u.before[c], u.current[c]) for u in rows  # type: ignore[index]
                    if u.current[c] is not None or u.before[c] is not None}) < 2 for c in loose)  # type: ignore[index]


def _undo(head: Row, prev: Row | tuple[Any, ...] | None, tail: Row, later: bool, current: dict[str, Any] | None,
          recorded: Sequence[str], ctx: WriteContext) -> Undo | None:
    """One key's answer from the set's first version ``head`` and last ``tail``, the version before ``head``
    (decoded, or its event alone where its state is ``head``'s object) and the live row; None: not exact here.
    ``made`` is read only where no version follows (else the row's own reading says what followed)."""
    op = UNDO_OPS.get(head.op)
    if prev is None:
        before, gone = None, False  # the history starts with the set
    elif isinstance(prev, tuple) and OPS.get(prev[0]) is Op.DELETE:
        before, gone = None, True
    elif isinstance(prev, tuple):
        before, gone = head.before, False
    else:
        before = after_states([prev, head], current)[0]
        gone = before is None
    if before is not None:
        before = _staged(before, recorded, current, ctx)
        if before is None:
            return None
    made: dict[str, Any] | None = None
    if not later:
        made = after_states([tail], current)[0]
        fits = made is None or (current is not None and made == current)
        later = not fits  # the live row is not what the set left: the row's own reading says what follows
    return Undo(op, made, before, gone, later, current)


def _staged(state: Mapping[str, Any], recorded: Sequence[str], current: Mapping[str, Any] | None,
            ctx: WriteContext) -> dict[str, Any] | None:
    """A state as the set-based write stages it (``timeline_bulk.staged``: ``updated_at`` is not restored)."""
    return staged(state, recorded, current, set(ctx.det.key) | {"updated_at"})


def _newest_before(writer: PaperTrailBulk, ctx: WriteContext, keys: list[tuple[Any, ...]],
                   before: Any) -> dict[tuple[Any, ...], tuple[Any, Any, Any]]:
    """Each key's newest version older than the span (``before``): its event, the changes of an update (a touch
    has none) and its id."""
    store = ctx.store
    order = (store.c.created_at.desc(), store.c.id.desc())
    out: dict[tuple[Any, ...], tuple[Any, Any, Any]] = {}
    for cond in writer.key_filter(ctx, store, keys, None):
        ranked = select(store.c.item_id, store.c.event,
                        case((store.c.event == "update", store.c.object_changes)).label("changes"), store.c.id,
                        func.row_number().over(partition_by=store.c.item_id, order_by=order).label("n")
                        ).where(writer.mine(ctx), cond, before).subquery()
        for item_id, event, changes, version_id in ctx.conn.execute(
                select(ranked.c.item_id, ranked.c.event, ranked.c.changes, ranked.c.id).where(ranked.c.n == 1)):
            out[(item_id,)] = (str(event), codec.parse(changes) if event == "update" else None, version_id)
    return out


def _any_after(writer: PaperTrailBulk, ctx: WriteContext, keys: list[tuple[Any, ...]],
               after: Any) -> set[tuple[Any, ...]]:
    """The keys with a version newer than the span (``after``), or one without a time (PostgreSQL sorts it after
    the others: the row's own reading says where it stands)."""
    store = ctx.store
    out: set[tuple[Any, ...]] = set()
    for cond in writer.key_filter(ctx, store, keys, None):
        query = select(store.c.item_id).where(writer.mine(ctx), cond, or_(after, store.c.created_at.is_(None))
                                              ).distinct()
        out.update((item_id,) for (item_id,) in ctx.conn.execute(query))
    return out


def _versions(writer: PaperTrailBulk, ctx: WriteContext, ids: list[Any]) -> dict[Any, dict[str, Any]]:
    """Version rows by id, with the fields ``decode_row`` reads."""
    store = ctx.store
    out: dict[Any, dict[str, Any]] = {}
    for i in range(0, len(ids), CHUNK):
        query = select(*(store.c[c] for c in FIELDS)).where(store.c.id.in_(ids[i:i + CHUNK]))
        out.update({r["id"]: dict(r) for r in ctx.conn.execute(query).mappings()})
    return out
