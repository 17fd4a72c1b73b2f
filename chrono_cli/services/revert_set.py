"""Set-based ``chrono revert``: a change set's rows read, checked and written a table at a time.

Taken when every table the change set touched has a bulk writer that says what the set did to each of its keys
(``BulkWriter.undo``: the version it made, the one just before it, whether a later one exists; a few queries per
table, whatever the number of rows): asked by transaction id for an exact set, by the keys and times of its
changes (a ``Span``) for an inferred one (history_meta, simple-history). Each row's write is decided
from those as the row-by-row revert decides it from the row's timeline: the state before restored, a row the set
created deleted, a row it deleted re-inserted. Rows changed again since (or whose live row differs from the
version the set made), and rows the quick checks cannot settle (a value that no longer fits, a unique or foreign
key, a row already as before), are handed to the row-by-row code one by one, so their conflicts, refusals and
skips read exactly as there; should it write one of them differently, the whole revert goes row by row (None).
The write (services/revert_set_write.py), in one transaction: per table, parents first, the target rows are
staged, the live rows locked and compared with the plan, and the bulk writer's statements run (re-inserts and
updates); then the deletes, children first. A joined-inheritance object (a row in each table of its hierarchy) is
planned whole or the revert goes row by row, each table still a part of its own (services/revert_objects.py).

A table whose every row is a plain restore is planned by the database instead (``_quick``, where the store has an
undo query: shapes/undo_plan.py): no per-row objects but the key and a fingerprint, its rows read whole only when
the plan lists them, staged with one ``INSERT ... SELECT``. So are joined-inheritance objects where every table of
their hierarchy is planned so and each object changes a column somewhere (a row of it that changes nothing is
written with it); where one table of a hierarchy is not, its other tables are planned here too (``_unquick``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from chrono_cli import conventions
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.shapes import staging, undo_plan
from chrono_cli.conventions.shapes.bulk import UNDO_OPS, BulkWriter, Span, Undo
from chrono_cli.conventions.writes import Step, WriteContext, WriteMeta, WriteState
from chrono_cli.conventions.writes.checks import pending_row, unique_indexes
from chrono_cli.conventions.writes.set_checks import Written, parents_missing, still_referenced, unique_taken
from chrono_cli.conventions.writes.values import fit
from chrono_cli.db.engine import safe_url
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo, gc_paused
from chrono_cli.errors import UnsupportedOperation
from chrono_cli.model import ChangeSet, Op, RowChange, RowKey, TableRef
from chrono_cli.records import Struct, field
from chrono_cli.services.changes import (
    DEFAULT_WINDOW,
    InferredId,
    changeset_head,
    parse_changeset_id,
    show_changeset,
)
from chrono_cli.services.plan import compiled
from chrono_cli.services.revert import (
    UNWRITABLE,
    Conflict,
    inferred_note,
    later_conflict,
    plan_items,
    read_row,
    table_ranks,
)
from chrono_cli.services.revert_objects import Objects, column_order, find_objects, merged, whole, writes_objects
from chrono_cli.services.revert_objects import Table as ObjectTable
from chrono_cli.services.revert_set_plan import Quick, QuickMember, QuickRow, SetPart, SetRevert, SetRow
from chrono_cli.services.revert_set_write import marked, write_order
from chrono_cli.services.target import Target, history_detection, open_target
from chrono_cli.services.workspace import Catalog, Workspace
from chrono_cli.services.writeset import default_reason, key_text, resolve_meta


class _RowByRow(Exception):
    """A row the row-by-row revert would write where the set-based one would not: revert row by row."""


class _Table(Struct):
    target: Target
    writer: BulkWriter
    ctx: WriteContext
    undo: dict[tuple[Any, ...], Undo]
    currents: dict[tuple[Any, ...], dict[str, Any]]
    recorded: list[str]  # the restored columns
    bookkeeping: frozenset[str]
    stored: frozenset[str]  # restored columns whose values fit as stored (BulkWriter.fits_as_stored)
    info: TableInfo  # the live table (a property of the context, read for every row)
    rank: int = 0
    rows: dict[tuple[Any, ...], SetRow] = field(default_factory=dict)
    changes: dict[tuple[Any, ...], list[RowChange]] = field(default_factory=dict)  # an inferred set's, by key
    quick: Quick | None = None  # the rows were planned in SQL (``undo`` is then empty)

    @property
    def writes(self) -> bool:
        return bool(self.rows) or self.quick is not None


def set_head(ws: Workspace, changeset_id: str, window: float = DEFAULT_WINDOW) -> ChangeSet | None:
    """What ``plan_set_revert`` plans from: an exact set's head (``changes.changeset_head``), an inferred set whole
    (``changes.show_changeset``: its keys and times are what its versions are found by)."""
    if not isinstance(parse_changeset_id(changeset_id), InferredId):
        return changeset_head(ws, changeset_id)
    try:
        with gc_paused():  # 100,000 row changes are built and kept
            return show_changeset(ws, changeset_id, window=window, light=True)
    except UNWRITABLE:
        return None  # the row-by-row revert reads it again and says why


def plan_set_revert(ws: Workspace, head: ChangeSet, *, force: bool = False, actor: str | None = None,
                    reason: str | None = None, now: datetime | None = None) -> SetRevert | None:
    """Plan the revert of a change set set-based, from ``set_head``'s answer; None when it must go row by row
    (see the module). ``now``: the plan's time (a plan file's, planned again: the statements compile alike)."""
    with gc_paused():  # a few objects per row, kept: the collector would rescan them again and again
        return _plan(ws, head, force, actor, reason, now or datetime.now(UTC))


def _plan(ws: Workspace, head: ChangeSet, force: bool, actor: str | None, reason: str | None,
          now: datetime) -> SetRevert | None:
    groups = {c.group for c in head.changes} if head.exact else {None}
    inferred = _times_of(head)
    if (head.exact and len(groups) != 1) or (not head.exact and inferred is None):
        return None
    times = inferred or {}
    group = groups.pop() if head.exact else None
    meta = default_reason(resolve_meta(ws.config, actor, reason), f"chrono revert: change set {head.id}")
    with ws.catalog() as cat:
        snapshot = cat.full_snapshot()
        tables: dict[TableRef, _Table] = {}

        def opened(ref: TableRef, quick: bool = True) -> bool:
            mine = times.get(ref, {})
            found = _open(ws, cat, ref, group if head.exact else Span(mine), meta, now, mine, quick)
            if found is None or (found.quick is None and not set(mine) <= set(found.undo)):
                return False  # a row whose versions the store does not answer for: its reading says why
            if mine and found.quick is None:
                found.changes = _changes_of(head, ref)
            tables[ref] = found
            return True

        if not all(opened(ref) for ref in (times if inferred else dict.fromkeys(c.table for c in head.changes))):
            return None
        objects = _objects(tables)
        while objects is not None and (again := _unquick(tables, objects)):
            if not all(opened(ref, quick=False) for ref in again):
                return None
            objects = _objects(tables)
        if objects is None:
            return None
        ranks = table_ranks(tables, snapshot)
        for ref, t in tables.items():
            t.rank = ranks.get(ref, 0)
        # objects planned in SQL (every table of theirs is, ``_unquick``) are written as they are; the rest are the
        # planner's
        quick_members = frozenset(r for r in objects.members if tables[r[0]].quick is not None)
        objects = Objects({r: up for r, up in objects.leaders.items() if tables[r[0]].quick is None},
                          objects.members - quick_members)
        # the order the change set lists its rows in: an exact set tables as listed, keys newest-listed first (or
        # as the bulk writer's undo lists them); an inferred one its changes' order
        order = [(t, key) for t in tables.values()
                 for key in (t.undo if t.writer.undo_listed else sorted(t.undo, reverse=True))] if head.exact \
            else [(t, key) for t, key in _in_order(tables, _listed(head)) if t.quick is None] \
            if any(t.quick is None for t in tables.values()) else []
        planner = _Planner(cat, snapshot, head, meta, now, objects)
        try:
            planner.plan(order)
        except _RowByRow:
            return None
        conflicts, blocked, skipped = planner.conflicts, planner.blocked, planner.skipped
        parts = _parts(tables, quick_members)
        try:
            steps = _steps(cat, tables, parts, meta, now) if parts and not blocked else []
        except UnsupportedOperation:
            return None  # a write this store has no set-based form of (simple-history's deletes)
        blind = conventions.no_inserts(p.convention for p in parts)
        # what the row-by-row plan notes on each item of such a store, once
        notes = [f"{name} has no place for an actor or a reason: they are not recorded"
                 for name in dict.fromkeys(p.convention for p in parts)
                 if not (traits := conventions.get(name).traits).records_actor and not traits.archive]
        notes += list(dict.fromkeys(n for t in tables.values() if _speaks(t) for n in t.writer.meta_notes(t.ctx)))
        notes += inferred_note(head)
        notes += [f"{blind} no inserts: rows the change set created there are not known to chrono and stay"] \
            if blind else []
        quick = sum(len(t.quick.keys) for t in tables.values() if t.quick)
        return SetRevert(head, len(order) + quick if head.exact else len(head.changes), parts, tuple(conflicts),
                         tuple(blocked), tuple(skipped), force, safe_url(ws.url), cat.dialect, now, meta.actor,
                         meta.reason, tuple(notes), compiled(steps, cat.conn.dialect), tuple(steps))


Keyed = dict[TableRef, dict[tuple[Any, ...], list[Any]]]


def _in_order(tables: Mapping[TableRef, _Table], listed: list[tuple[TableRef, tuple[Any, ...]]],
              ) -> list[tuple[_Table, tuple[Any, ...]]]:
    """``listed`` with each table opened, found by the object's identity (a lister's changes share their table
    object: a TableRef is hashed once per object, not once per row)."""
    out: list[tuple[_Table, tuple[Any, ...]]] = []
    opened: dict[int, _Table] = {}
    for table, key in listed:
        t = opened.get(id(table))
        if t is None:
            t = opened[id(table)] = tables[table]
        out.append((t, key))
    return out


def _times_of(cs: ChangeSet) -> Keyed | None:
    """The times of an inferred set's changes by table and key, tables and keys in its order (``Span``); None for
    an exact set, or a change without a time (nothing to find its version by)."""
    if cs.exact or any(c.at is None for c in cs.changes):
        return None
    times: Keyed = {}
    table: TableRef | None = None
    when: dict[tuple[Any, ...], list[Any]] = {}
    for c in cs.changes:
        if c.table is not table:  # a lister's changes share their table: hashed once per run of them
            table = c.table
            when = times.setdefault(table, {})
        items = c.key.items
        key = (items[0][1],) if len(items) == 1 else tuple(map(itemgetter(1), items))
        found = when.get(key)
        if found is None:
            when[key] = [c.at]
        else:
            found.append(c.at)
    return times


def _changes_of(cs: ChangeSet, table: TableRef) -> dict[tuple[Any, ...], list[RowChange]]:
    """An inferred set's changes of ``table`` by key (for its rows planned in Python: their timelines are read with
    them)."""
    out: dict[tuple[Any, ...], list[RowChange]] = {}
    for c in cs.changes:
        if c.table == table:
            out.setdefault(tuple(map(itemgetter(1), c.key.items)), []).append(c)
    return out


def _listed(cs: ChangeSet) -> list[tuple[TableRef, tuple[Any, ...]]]:
    """An inferred set's rows in its order, as the row-by-row revert reads them (for the rows planned in Python)."""
    return list(dict.fromkeys((c.table, tuple(map(itemgetter(1), c.key.items))) for c in cs.changes))


_OPS = {n: op for op, n in UNDO_OPS.items()}  # ``Undo.op`` back to the operation


def _changes(t: _Table, key: tuple[Any, ...], head: ChangeSet) -> list[RowChange]:
    """The change set's changes of ``key`` as far as a revert needs them: an inferred set's own (their times find
    the versions), else one made from the transaction (no field changes), one per time where the store's versions
    are found by time (``Undo.times``)."""
    if key in t.changes:
        return t.changes[key]
    u = t.undo[key]
    return [RowChange(t.target.ref, _rowkey(t, key), _OPS.get(u.op or 0, Op.UNKNOWN), at, head.actor, head.reason,
                      group=head.changes[0].group) for at in u.times or (head.at,)]


def _open(ws: Workspace, cat: Catalog, ref: TableRef, group: Any, meta: WriteMeta, now: datetime,
          mine: Mapping[tuple[Any, ...], Any], quick: bool = True) -> _Table | None:
    """The table's bulk writer and what the change set did to its keys (planned in SQL where every row is a quick
    restore, see ``_quick``, unless not ``quick``; ``mine``: an inferred set's keys, in its order); None: it cannot
    be reverted set-based."""
    target = open_target(cat, str(ref))
    det = history_detection(target)
    conv = conventions.of(det)
    config = cat.table_config(target.ref)
    if conv.bulk is None or [d for d in det.degraded if d.blocks_writes] or config.unrecorded or config.actor_column:
        return None
    ctx = WriteContext(cat.conn, target.snapshot, det, config, now, meta)
    try:
        conv.bulk.check_revert(ctx)
    except UnsupportedOperation:
        return None
    writer = conv.bulk
    planned = _quick(ws, writer, ctx, group, mine) if quick else None
    if planned is not None:
        if not planned.keys:
            return None  # nothing of the table in the set: its reading says why
        return _Table(target, writer, ctx, {}, {}, writer.recorded(ctx), writer.bookkeeping(ctx),
                      writer.fits_as_stored(ctx), ctx.live_info, quick=planned)
    undo = writer.undo(ctx, group)
    if not undo:
        return None
    currents = {k: u.current for k, u in undo.items() if u.current is not None}
    return _Table(target, writer, ctx, undo, currents, writer.recorded(ctx),
                  writer.bookkeeping(ctx), writer.fits_as_stored(ctx), ctx.live_info)


def _quick(ws: Workspace, writer: BulkWriter, ctx: WriteContext, group: Any,
           mine: Mapping[tuple[Any, ...], Any]) -> Quick | None:
    """The change set's rows of the table planned by the database (shapes/undo_plan.py), their keys in the order the
    set lists them (an exact set's newest-listed first, an inferred one's ``mine``); None: the store has no undo
    query, a row is no quick restore, or an inferred set's keys are not the ones found (the table's rows are then
    planned here, one by one, as before)."""
    if not undo_plan.usable(writer, ctx):
        return None
    u = undo_plan.undone(writer, ctx, group, writer.bookkeeping(ctx))
    if u is None:
        return None
    width = len(ctx.det.key)
    found = undo_plan.classified(u)
    if any(r[width] is None for r in found):
        return None
    seen = {r[:width]: r[width] for r in found}
    unchanged = frozenset(r[:width] for r in found if not r[width + 1])
    if not isinstance(group, Span):
        return Quick(ws, group, tuple(sorted(seen, reverse=True)), seen, unchanged)
    if seen.keys() != mine.keys():
        return None
    return Quick(ws, group, tuple(mine), seen, unchanged)


class _Planner:
    """Decides each row's write (as the row-by-row revert would), and settles odd rows through that code."""

    def __init__(self, cat: Catalog, snapshot: SchemaSnapshot, head: ChangeSet, meta: WriteMeta,
                 now: datetime, objects: Objects) -> None:
        self.cat, self.snapshot, self.head, self.meta, self.now = cat, snapshot, head, meta, now
        self.objects = objects
        self.settled: set[tuple[TableRef, tuple[Any, ...]]] = set()  # rows handed to the row-by-row code
        self.conflicts: list[Conflict] = []
        self.blocked: list[Conflict] = []
        self.skipped: list[str] = []
        self.shared = WriteState()  # the rows re-inserted so far (a foreign key to one of them holds)
        self.deleting: set[tuple[TableRef, RowKey]] = set()

    def plan(self, order: list[tuple[_Table, tuple[Any, ...]]]) -> None:
        """Each table's rows (``_Table.rows``), and the conflicts, blocked and skipped rows (raises _RowByRow)."""
        decided: list[tuple[_Table, tuple[Any, ...], SetRow]] = []
        for t, key in order:  # the change set's order, as the row-by-row revert reads its rows
            row = self._decide(t, key, t.undo[key])
            if row is not None:
                decided.append((t, key, row))
        objects = self.objects
        joined = {r for leader in objects.leaders for r in objects.of(leader)}
        if joined and not whole(objects, {(t.target.ref, k): r for t, k, r in decided}, self.settled):
            raise _RowByRow
        self.deleting = {(t.target.ref, _rowkey(t, k)) for t, k, r in decided if r.action == "delete"}
        # the row-by-row order: re-inserts parents first, then updates, then deletes children first
        decided.sort(key=lambda d: (0, d[0].rank) if d[2].action == "undelete" else (1, 0) if d[2].action == "restore"
                     else (2, -d[0].rank))
        ready = [(t, key, row, self._values(t, key, row, (t.target.ref, key) in joined)) for t, key, row in decided]
        if joined and not writes_objects(objects, {(t.target.ref, k): (r, w) for t, k, r, w in ready}):
            raise _RowByRow
        flagged, needs = self._flagged(ready)
        for t, key, row, written in ready:
            ref = t.target.ref
            if written is None or (flagged and (ref, key) in flagged) \
                    or (needs and not needs.get((ref, key), set()) <= self.shared.inserted):
                if (ref, key) in joined:
                    raise _RowByRow  # the row-by-row code would write the whole object
                self._settle(t, key)
                continue
            if row.action == "undelete":
                self.shared.inserted.add(pending_row(t.ctx.det.live, _rowkey(t, key).as_dict()))
            t.rows[key] = row if row.action == "delete" else SetRow(key, row.action, row.current, written.values)
        if joined:
            by_ref = {t.target.ref: t for t, _, _, _ in ready}
            rows = {(r, k): by_ref[r].rows[k] for r, k in joined if r in by_ref and k in by_ref[r].rows}
            for (ref, key), row in merged(objects, rows).items():
                by_ref[ref].rows[key] = row

    def _decide(self, t: _Table, key: tuple[Any, ...], u: Undo) -> SetRow | None:
        """The row's write; None: settled (skipped, blocked)."""
        current = t.currents.get(key)
        if u.later or _differs(u, current, t.recorded):
            row = self._row(t, key)
            if row is None:
                return None
            self.conflicts += [later_conflict(row, v) for v in row.later]
        if u.op not in (0, 1, 2) or (u.before is None and not u.before_gone and u.op != 0):
            self._settle(t, key)
            return None
        if u.before is None:  # the change set created the row
            if current is None:
                self.skipped.append(f"{t.target.ref} {key_text(_rowkey(t, key))} is already gone (the change set "
                                    "created it)")
                return None
            return SetRow(key, "delete", {c: v for c, v in current.items() if c not in t.bookkeeping}, None)
        return SetRow(key, "undelete" if current is None else "restore", current, u.before)  # read, never changed

    def _row(self, t: _Table, key: tuple[Any, ...]) -> Any:
        """The row-by-row reading of the row (its timeline); None when it cannot be reverted (blocked)."""
        rowkey = _rowkey(t, key)
        try:
            return read_row(self.cat, t.target.ref, rowkey, _changes(t, key, self.head), self.meta, self.now)
        except UNWRITABLE as exc:
            self.blocked.append(Conflict(str(t.target.ref), dict(rowkey.as_dict()), str(exc)))
            self.settled.add((t.target.ref, key))
            return None

    def _settle(self, t: _Table, key: tuple[Any, ...]) -> None:
        """Settle a row through the row-by-row code: noted when it is blocked or skipped there; should that code
        write it, the whole revert goes row by row (raises _RowByRow)."""
        self.settled.add((t.target.ref, key))
        if any(b.table == str(t.target.ref) and b.key == dict(_rowkey(t, key).as_dict()) for b in self.blocked):
            return
        row = self._row(t, key)
        if row is None:
            return
        if row.action == "skip":
            self.skipped.append(f"{t.target.ref} {key_text(row.key)} is already gone (the change set created it)")
            return
        saved = self.shared.checkpoint()
        items = plan_items(self.cat, [row], self.meta, self.now, self.blocked, self.skipped, self.shared,
                           self.deleting)
        self.shared.rollback(saved)
        if items:
            raise _RowByRow

    def _values(self, t: _Table, key: tuple[Any, ...], row: SetRow, member: bool = False) -> Written | None:
        """The row's values as written (every one fits) and what changes; None: settled row by row (a value that no
        longer fits, nothing to change, a NOT NULL column the history does not record). A row of a joined object
        (``member``) is written even with nothing to change: its object changes (``writes_objects``)."""
        ctx, info = t.ctx, t.info
        if row.new is None:  # a delete
            return Written(key, {}, (), False)
        new = dict(row.new)
        changed = []
        for c, value in row.new.items():
            if row.current is not None and same(value, row.current[c]):
                new[c] = row.current[c]  # unchanged: what is stored stays
                continue
            changed.append(c)
            if c in t.stored and (value is not None or info.columns[c].nullable):
                continue
            new[c], problem = fit(value, info.columns[c], ctx.config.timezone, dialect=info.dialect)
            if problem:
                return None
        inserting = row.current is None
        if not changed and not inserting and not member:
            return None  # already in that state: skipped, as the row-by-row revert words it
        if inserting and [c for c, col in info.columns.items() if c not in new and c not in ctx.det.key
                          and c not in t.bookkeeping and not col.nullable and col.default is None]:
            return None
        return Written(key, new, changed, inserting)

    def _flagged(self, ready: list[tuple[_Table, tuple[Any, ...], SetRow, Written | None]],
                 ) -> tuple[set[tuple[TableRef, tuple[Any, ...]]], dict[tuple[TableRef, tuple[Any, ...]], set[Any]]]:
        """The rows a unique or foreign key may concern (settled row by row), and the re-inserted parents each row
        needs re-inserted before it."""
        planned = {pending_row(t.ctx.det.live, _rowkey(t, k).as_dict()) for t, k, r, w in ready
                   if r.action == "undelete" and w is not None}
        flagged: set[tuple[TableRef, tuple[Any, ...]]] = set()
        needs: dict[tuple[TableRef, tuple[Any, ...]], set[Any]] = {}
        tables = {id(t): t for t, _, _, _ in ready}
        for t in tables.values():
            conn, info, ref, key = self.cat.conn, t.ctx.live_info, t.target.ref, t.ctx.det.key
            mine = [(r, w) for u, _, r, w in ready if u is t and w is not None]
            found: set[tuple[Any, ...]] = set()
            if info.foreign_keys or any(True for _ in unique_indexes(info, t.bookkeeping)):
                # each row's whole new state, as the row-by-row check sees it
                whole = [Written(w.key, {**(t.currents.get(w.key) or {}), **dict(zip(key, w.key, strict=True)),
                                         **w.values}, w.changed, w.inserting)
                         for r, w in mine if r.action != "delete"]
                found = unique_taken(conn, info, whole, key, t.bookkeeping)
                missing, parents = parents_missing(conn, info, whole, planned)
                found |= missing
                needs.update({(ref, k): p for k, p in parents.items()})
            deletes = [w.key for r, w in mine if r.action == "delete"]
            if deletes:
                found |= still_referenced(conn, self.snapshot, info, deletes, key, self.deleting)
            flagged |= {(ref, k) for k in found}
        return flagged, needs


def _differs(u: Undo, current: Mapping[str, Any] | None, recorded: Sequence[str]) -> bool:
    """The live row is not the state the change set left (changed or deleted outside the history since)."""
    if u.made is current:  # the store's newest state is the live row itself (history_meta)
        return False
    if u.made is None or current is None:
        return (u.made is None) != (current is None)
    made = u.made
    return not all(c not in made or same(made[c], current[c]) for c in recorded)



def _speaks(t: _Table) -> bool:
    """Whether the table's write records what its store's notes on the actor speak of: not where it only deletes
    and the store records no deletion (django-reversion)."""
    return t.writes and (t.quick is not None or any(r.action != "delete" for r in t.rows.values())
                         or conventions.get(t.ctx.det.adapter).traits.records_deletes)


def _rowkey(t: _Table, key: tuple[Any, ...]) -> RowKey:
    return RowKey(tuple(zip(t.ctx.det.key, key, strict=True)))


def _parts(tables: Mapping[TableRef, _Table], quick_members: frozenset[tuple[TableRef, tuple[Any, ...]]],
           ) -> tuple[SetPart, ...]:
    """The tables written, parents first: a quick part's ancestor rows of objects (``quick_members``) marked, and its
    ancestors' parts beside it (its objects' items list them)."""
    shown = _shown(tables)  # a re-inserted object lists every column of its hierarchy
    out: dict[str, SetPart] = {}
    for ref, t in sorted(tables.items(), key=lambda rt: rt[1].rank):
        if not t.writes:
            continue
        det = t.ctx.det
        rows: tuple[SetRow | QuickRow, ...] = tuple(t.rows.values())
        ancestors: tuple[SetPart, ...] = ()
        if t.quick is not None:
            rows = tuple(QuickMember(k) if (ref, k) in quick_members else QuickRow(k) for k in t.quick.keys) \
                if quick_members else tuple(map(QuickRow, t.quick.keys))
            ancestors = tuple(out[name] for name in det.options.ancestors() if name in out)
        out[str(ref)] = SetPart(str(ref), det.adapter, None if det.in_table else str(det.store), tuple(det.key),
                                tuple(t.recorded), t.rank, rows, column_order(shown, ref), t.quick, ancestors)
    return tuple(out.values())


def _unquick(tables: Mapping[TableRef, _Table], objects: Objects) -> set[TableRef]:
    """The tables planned in SQL whose rows are to be planned here after all, as the row-by-row revert reads them: a
    hierarchy planned partly here (an object is planned one way: ``revert_objects.whole``), a row that changes
    nothing outside an object (skipped, in that code's words), or an object that changes nothing in any table."""
    out: set[TableRef] = set()
    for ref, ups in objects.hierarchies.items():
        quick = [r for r in (*ups, ref) if tables[r].quick is not None]
        if quick and len(quick) != len(ups) + 1:
            out.update(quick)
    unchanged = {(ref, k) for ref, t in tables.items() if t.quick is not None for k in t.quick.unchanged}
    for row in unchanged:  # few: most rows change a column
        if row in objects.leaders:
            if all(r in unchanged for r in objects.of(row)):
                out.update(r[0] for r in objects.of(row))
        elif row not in objects.members:
            out.add(row[0])
    return out


def _shown(tables: Mapping[TableRef, _Table]) -> dict[TableRef, ObjectTable]:
    """What finding the change set's joined-inheritance objects needs of each table (revert_objects.py)."""
    return {ref: ObjectTable(tuple(t.ctx.det.key), t.ctx.det.options.ancestors(),
                             t.undo if t.quick is None else t.quick.seen, tuple(t.info.columns))
            for ref, t in tables.items()}


def _objects(tables: Mapping[TableRef, _Table]) -> Objects | None:
    """The change set's joined-inheritance objects (``revert_objects.find_objects``). Where they are not whole, no
    store records an object whole (native versioning) and every row is in a hierarchy's root table (a subclass
    object's root row, changed alone), none: each row is written, and versioned by the triggers, as it is, as the
    row-by-row write of the object writes only its tables whose columns change. (A child table's row reads with its
    ancestors' columns row by row, its conflicts and restored values too: such a set goes row by row.)"""
    found = find_objects(_shown(tables), lambda ref, keys: tables[ref].writer.subclass_keys(tables[ref].ctx, keys))
    if found is None and not any(t.writer.records_objects(t.ctx) or t.writer.ancestor_tables(t.ctx) != []
                                 for t in tables.values()):
        return Objects({}, frozenset())
    return found


def _steps(cat: Catalog, tables: Mapping[TableRef, _Table], parts: Sequence[SetPart], meta: WriteMeta,
           now: datetime) -> list[Step]:
    """The statements the write runs, against placeholder staging tables (for the plan and --sql)."""
    shared = WriteState()
    out: list[Step] = []
    by_name = {str(ref): t for ref, t in tables.items()}
    for part, deletes in write_order(parts):
        t = by_name[part.table]
        ctx = WriteContext(cat.conn, t.ctx.snapshot, t.ctx.det, t.ctx.config, now, meta, shared)
        if deletes:
            out += t.writer.delete_steps(ctx, marked(staging.staging(ctx, ()), part, deletes))
        else:
            out += t.writer.steps(ctx, marked(staging.staging(ctx, part.columns), part, deletes), part.columns)
    return out
