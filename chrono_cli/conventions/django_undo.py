"""``chrono revert`` set-based for the Django libraries' stores (``BulkWriter.undo``): the timelines of the change
set's records read in bulk, then each decided as the row-by-row revert decides it.

A record's states are the store's own reading of its timeline (the adapter's, from the same rows: auditlog's
states are rebuilt backwards from the live row through its differences, reversion's told from a serialized
version, pghistory's from its events), so no second reading of the store's semantics is kept here. What
changes is the reading's cost: the store rows of a thousand records and their live rows are read in one query
each (``bulk.CHUNK``), rather than two queries a record. The set's versions of a record are found as
``services/revert.py`` finds them: by the version number where the set's id numbers the versions (a reversion
revision), else by the times of the set's versions (an auditlog cid, a pghistory context: ``Undo.times``; an
inferred set: the span's times). The state before the first of them is the target; a record whose state there
is not fully recorded (a gap in auditlog's differences, a field no version recorded) is left to the row-by-row
code (``op`` None), which refuses it or, should it write it, turns the whole revert row by row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chrono_cli.conventions.base import ReadContext
from chrono_cli.conventions.decode import Undecodable, decode
from chrono_cli.conventions.shapes.bulk import CHUNK, UNDO_OPS, Span, Undo
from chrono_cli.conventions.writes.base import WriteContext
from chrono_cli.model import Op, RowKey, Version

if TYPE_CHECKING:
    from chrono_cli.conventions.django_bulk import TimelineBulk

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Key = tuple[Any, ...]


def decoded_keys(ctx: WriteContext, raws: Sequence[Any]) -> list[Key]:
    """Store ids as live keys (one key column), in their order, once each; an id that names no row of the live
    key's type is left out."""
    column = ctx.live_info.columns[ctx.det.key[0]]
    out: dict[Any, None] = {}
    for raw in raws:
        try:
            out[decode(raw, column.type)] = None
        except Undecodable:
            continue
    return [(k,) for k in out]


def django_undo(writer: TimelineBulk, ctx: WriteContext, group: Any) -> dict[Key, Undo] | None:
    """What the change set ``group`` did to each of its records (see the module); None: the store does not know
    the group (another store's id) or holds none of its rows."""
    span = group if isinstance(group, Span) else None
    if span is not None:
        keys = list(span.times)
    else:
        query = writer.group_query(ctx, group)
        if query is None:
            return None
        keys = decoded_keys(ctx, ctx.conn.execute(query).scalars().all())
    if not keys:
        return None
    currents = writer.live_rows(ctx, keys, None)
    versions, groups = timelines(writer, ctx, keys, currents)
    recorded = writer.recorded(ctx)
    out: dict[Key, Undo] = {}
    firsts: dict[Key, Any] = {}
    for key in keys:
        mine = versions.get(key, [])
        numbered: list[int] = []
        times: set[datetime | None]
        if span is not None:
            times = set(span.times[key])
        else:
            times = {v.valid_from for v in mine if v.op is not Op.UNKNOWN and groups.get(v.number) == group}
            numbered = [i for i, v in enumerate(mine) if v.number == group and v.op is not Op.UNKNOWN]
        made = numbered or [i for i, v in enumerate(mine) if v.valid_from in times and v.op is not Op.UNKNOWN]
        at = () if span is not None or numbered else tuple(sorted(t for t in times if t is not None))
        out[key] = _undo(ctx, mine, made, recorded, currents.get(key), at)
        firsts[key] = mine[made[0]].valid_from if made else None
    if span is not None:
        return out
    # an exact set lists its records as the listing does (``changes.group``): by the time of each one's first
    # change, records of one time in the reverse of the order the store's query gave them
    place = {k: n for n, k in enumerate(keys)}
    return {k: out[k] for k in sorted(keys, key=lambda k: (firsts[k] is None, firsts[k] or _EPOCH, -place[k]))}


def _undo(ctx: WriteContext, versions: Sequence[Version], made: Sequence[int], recorded: Sequence[str],
          current: dict[str, Any] | None, at: tuple[Any, ...]) -> Undo:
    """One record's answer, from its timeline and the positions of the set's versions in it."""
    if not made:
        return Undo(None, None, None, current=current, times=at)  # the row's reading says why it cannot be reverted
    first, last = made[0], made[-1]
    tail = versions[last]
    state = None if tail.op is Op.DELETE or tail.values is None else dict(tail.values)
    op = UNDO_OPS.get(versions[first].op)
    later = last + 1 < len(versions)
    if first == 0:  # a created record is deleted; any other start leaves the state before unknown (refused)
        return Undo(op, state, None, False, later, current, at)
    prev = versions[first - 1]
    if prev.values is None:
        return Undo(op, state, None, True, later, current, at)
    if not _whole(ctx, prev, recorded):
        op = None
    return Undo(op, state, {c: prev.values.get(c) for c in recorded}, False, later, current, at)


def _whole(ctx: WriteContext, version: Version, recorded: Sequence[str]) -> bool:
    """Whether ``version`` holds every restored column and nothing the set-based write would leave out."""
    values = version.values or {}
    if any(c not in values or c in version.unrecorded for c in recorded):
        return False
    return all(c in recorded or c in ctx.det.key or c in ctx.config.unrecorded for c in values)


def timelines(writer: TimelineBulk, ctx: WriteContext, keys: Sequence[Key],
              currents: Mapping[Key, dict[str, Any]]) -> tuple[dict[Key, list[Version]], dict[Any, Any]]:
    """Each record's versions, read a thousand records a query (``TimelineBulk.history_query``) and told by the
    store's reader (``history_states``); and the change set of each version number the store records one for.
    Where the server matched a stored id that is not the key's text, the chunk's records are read one by one, as
    the reader reads them."""
    read = ReadContext(ctx.conn, ctx.snapshot, ctx.config)
    column = writer.store_key(ctx)
    query = writer.history_query(ctx)
    versions: dict[Key, list[Version]] = {}
    groups: dict[Any, Any] = {}
    for i in range(0, len(keys), CHUNK):
        chunk = list(keys[i:i + CHUNK])
        named = {writer.stored(ctx, k[0]): k for k in chunk}
        rows: dict[Key, list[Any]] = {}
        stray = False
        for row in ctx.conn.execute(query.where(column.in_(list(named)))).mappings():
            number, belongs = writer.row_group(row)
            if belongs is not None:
                groups[number] = belongs
            found = named.get(row[column.key])
            if found is None:  # an id the server matched otherwise (MariaDB's case-insensitive text)
                stray = True
            else:
                rows.setdefault(found, []).append(row)
        for key in chunk:
            versions[key] = writer.reader.versions(read, ctx.det, RowKey(((ctx.det.key[0], key[0]),))) if stray \
                else writer.history_states(ctx, read, key, rows.get(key, []), currents.get(key))
    return versions, groups
