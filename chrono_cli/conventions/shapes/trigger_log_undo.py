"""What a change set did to each of its keys in a trigger-written audit log that keeps whole rows (the 2ndQuadrant
audit trigger, supa_audit), for ``chrono revert`` (``BulkWriter.undo``).

One query reads the log rows of every key the set names: the set's rows (by transaction id, or by the span of an
inferred set's times), then every log row naming one of their keys before or after its change. Each key's timeline
is then built from its rows as a single read builds it (``TriggerLogAdapter.logged`` and ``json_diff.diff_states``,
the live rows read a thousand keys at a time), and read as the row-by-row revert reads it: the versions the set
made, the state before the first, whether a version follows the last. So gaps (a write the triggers did not see),
columns added since and values that do not decode come out as there. A key whose timeline a single read builds
from other rows too (a key changed by an UPDATE, a TRUNCATE logged since its first row, supa_audit rows under
another record id) is answered with ``op`` None and ``later``: the row-by-row code reads it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, select
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.base import ReadContext
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.shapes.bulk import SPAN_PAD, UNDO_OPS, Span, Undo
from chrono_cli.conventions.shapes.json_diff import Change, diff_states
from chrono_cli.conventions.shapes.trigger_log import Logged, unaudited
from chrono_cli.conventions.writes.base import WriteContext
from chrono_cli.model import Op, Version

if TYPE_CHECKING:
    from chrono_cli.conventions.shapes.trigger_log_bulk import TriggerLogBulk

IN_SET = "chrono_in_set"


def trigger_log_undo(bulk: TriggerLogBulk, ctx: WriteContext, group: Any) -> dict[tuple[Any, ...], Undo] | None:
    """Each key of change set ``group`` (a transaction id, or a ``Span``) with what the set did to it; None when
    the log cannot say (no transactions recorded, an operation the triggers do not log, a row without its key)."""
    reader = bulk.reader
    if reader is None or unaudited(bulk.writer.triggers(ctx.live_info)):
        return None
    store = ctx.store
    if isinstance(group, Span):
        low, low_value = bulk._time(ctx, group.oldest - SPAN_PAD)
        high, high_value = bulk._time(ctx, group.newest + SPAN_PAD)
        in_set: ColumnElement[bool] | None = and_(low >= low_value, high <= high_value)
    else:
        in_set = reader.group_filter(store, group)
    if in_set is None:
        return None
    names = list(ctx.det.key)
    after = [bulk.key_after(ctx, k) for k in names]
    before = [bulk.key_before(ctx, k) for k in names]
    keys = select(*(t.label(f"chrono_key_{i}") for i, t in enumerate(after))).where(
        bulk.mine(ctx), in_set, *(t.is_not(None) for t in after)).subquery()
    order = list(store.primary_key.columns)
    naming = bulk.naming(ctx, after, before, select(*keys.c))
    rows = ctx.conn.execute(select(*bulk.log_columns(ctx), in_set.label(IN_SET)).where(naming)
                            .order_by(*order)).mappings().all()
    rctx = ReadContext(ctx.conn, ctx.snapshot, ctx.config)
    skip = set(ctx.config.unrecorded) | set(bulk.excluded(ctx))
    logged = reader.logged(rctx, ctx.det, rows, skip)
    lives: dict[tuple[Any, ...], list[int]] = {}  # each key's log rows (indexes), in log order
    odd: set[tuple[Any, ...]] = set()  # keys whose timeline spans more than their own rows
    listed: dict[tuple[Any, ...], None] = {}  # the set's keys, as its listing names them
    for i, entry in enumerate(logged):
        named = _keys(entry, names)
        if not named:
            return None  # a row without its key: the listing skips it, the set cannot be known whole
        if entry.moved_to is not None:
            odd.update(named)
        for key in named:
            lives.setdefault(key, []).append(i)
        if rows[i][IN_SET]:
            if named[-1] in listed and not isinstance(group, Span):
                return None  # two changes of a key in one transaction: a revert counts its changes by key
            listed[named[-1]] = None
    cut = _last_truncate(reader, rctx, ctx, order[0])
    currents = bulk.live_rows(ctx, list(lives), None)
    mine = group.times if isinstance(group, Span) else listed
    recorded = bulk.recorded(ctx)
    out: dict[tuple[Any, ...], Undo] = {}
    for key in mine:
        indexes = lives.get(key)
        if indexes is None:
            continue  # not in the log: the revert goes row by row
        current = currents.get(key)
        first_row = rows[indexes[0]][order[0].name]
        if key in odd or (cut is not None and cut > first_row) or not bulk.one_record([rows[i] for i in indexes]):
            out[key] = Undo(None, None, None, later=True, current=current)
            continue
        versions = _timeline(ctx, names, key, [logged[i] for i in indexes], current, skip)
        out[key] = _undo(recorded, ctx, versions, group, key, current)
    return out


def _keys(entry: Logged, names: Sequence[str]) -> list[tuple[Any, ...]]:
    """The keys a log row names, the one its listing shows last (the key after the change, or the deleted one)."""
    out: list[tuple[Any, ...]] = []
    if entry.key is not None:
        out.append(tuple(v for _, v in entry.key.items))
    ch = entry.change
    if entry.moved_to is not None:
        out.append(tuple(v for _, v in entry.moved_to.items))
    elif ch.op is Op.INSERT and all(n in ch.new for n in names):
        out.append(tuple(ch.new[n] for n in names))
    return out


def _last_truncate(reader: Any, rctx: ReadContext, ctx: WriteContext, first: Any) -> Any:
    """The newest logged TRUNCATE of the table (its log row's number; None: none logged)."""
    query = reader.truncates(rctx, ctx.det)
    return None if query is None else ctx.conn.execute(query.with_only_columns(func.max(first))).scalar()


def _timeline(ctx: WriteContext, names: Sequence[str], key: tuple[Any, ...], life: list[Logged],
              current: Mapping[str, Any] | None, skip: set[str]) -> list[Version]:
    """The key's versions as ``TriggerLogAdapter.versions`` builds them from the same rows (no key change, no
    TRUNCATE among them): columns no row names are not recorded."""
    columns = ctx.live_info.columns
    changes = [e.change for e in life]
    seen = {c for ch in changes for c in (*ch.old, *ch.new)}
    out = skip | {c for c in columns if c not in seen}
    shown = [c for c in columns if c not in out]
    live = None if current is None else dict(current)
    return _chained(changes, live, shown, seen) or diff_states(
        changes, live, shown, tuple(c for c in columns if c in out), dict(zip(names, key, strict=True)))


def _chained(changes: list[Change], live: dict[str, Any] | None, shown: list[str],
             seen: set[str]) -> list[Version] | None:
    """``json_diff.diff_states``' versions as far as a revert reads them (operation, number, time, values), for the
    plain case only, without its bookkeeping: the first change an insert, each later one starting from the state the
    one before left (an insert only after a delete), and every state that is not the newest knowing every column
    the changes name (nothing is carried back into it). Then there is one version per change, and one more where
    the live row is not the newest state (a write the log did not record, or a deletion it did not). None: any
    other case (``diff_states`` builds it)."""
    states: list[dict[str, Any] | None] = []
    prev: dict[str, Any] | None = None  # the state the change before left (None: none, or a deletion)
    for i, ch in enumerate(changes):
        if ch.op is Op.INSERT:
            if prev is not None:
                return None
            state: dict[str, Any] | None = dict(ch.new)
        elif ch.op not in (Op.UPDATE, Op.DELETE) or prev is None \
                or any(c in prev and not same(prev[c], v) for c, v in ch.old.items()):
            return None
        else:
            state = None if ch.op is Op.DELETE else {**prev, **ch.old, **ch.new}
        if state is not None and i < len(changes) - 1 and not seen <= state.keys():
            return None
        states.append(state)
        prev = state
    versions = [Version(st, ch.op, ch.number, ch.at) for ch, st in zip(changes, states, strict=True)]
    if live is None:
        return versions + ([Version(None, Op.DELETE)] if prev is not None else [])
    compared = set(shown)
    if prev is not None and all(same(v, live[c]) for c, v in prev.items() if c in compared):
        return versions
    return versions + [Version({c: live[c] for c in shown}, Op.UNKNOWN)]


def _undo(recorded: list[str], ctx: WriteContext, versions: list[Version], group: Any, key: tuple[Any, ...],
          current: dict[str, Any] | None) -> Undo:
    """What the set did to the key, read from its timeline as ``services.revert.read_row`` reads it; ``op`` None
    where that reading refuses or restores what a set-based write cannot (a value of a column that is gone, a
    recorded column the state does not know)."""
    ask = Undo(None, None, None, later=True, current=current)
    if isinstance(group, Span):
        times = group.times[key]
        made = [i for i, v in enumerate(versions) if v.valid_from in times and v.op is not Op.UNKNOWN]
    else:
        made = [i for i, v in enumerate(versions) if v.number == group and v.op is not Op.UNKNOWN]
    if not made:
        return ask
    first, last = made[0], made[-1]
    op = UNDO_OPS.get(versions[first].op)
    previous = versions[first - 1] if first > 0 else None
    if op is None or (previous is None and op != 0):
        return ask
    later = last + 1 < len(versions)
    left = versions[last].values
    # not later: the live row is the state the set left (and compares as such, being the same object)
    state = current if not later else None if left is None else dict(left)
    if previous is None or previous.values is None:
        return Undo(op, state, None, previous is not None, later, current)
    values = previous.values
    columns = ctx.live_info.columns
    if any(c not in columns and v is not None for c, v in values.items()) or any(c not in values for c in recorded):
        return ask
    return Undo(op, state, {c: values[c] for c in recorded}, False, later, current)

