"""``chrono restore TABLE --at T --all-changed-since S | --keys FILE`` on a table of a joined-inheritance hierarchy
(SQLAlchemy-Continuum), set-based: a part per table of the hierarchy, one transaction.

One object of a joined hierarchy (``item`` the root, ``book`` a child whose key refers to it) is a row in each table
from the root down to its class's, each table versioned on its own (Continuum's own versioning writes a version row
in every table of the object in each transaction that touches it; native versioning's triggers only in the tables
written). So its state at T is each table's state at T, read a table at a time as a single-table restore reads it,
and the object is decided whole: re-created when its rows are gone from every table, restored when any table's row
differs from its state at T, else skipped (already in that state, or no state then). Each table is then written as
a single-table restore writes it (staged, locked and compared on its own live table), root first, under one
Continuum transaction: every table's row of a written object gets its version row, changed or not, and only the
restored table's part records the object's class in ``transaction_changes`` (``bulk.OBJECTS`` on the ancestor parts'
stages), as ``joined.joined_steps`` writes one object. Under native versioning the write is the base rows' and the
triggers write the version rows; they skip an UPDATE that changes no value, so a row written over with its own
values gets none, as in a single restore, which leaves it alone.

Restoring a table some of whose objects are of a subclass (``item``, where some items are books): such an object's
rows reach below the restored table, into tables none of whose columns are restored but whose rows are versioned
with it (a single restore of ``item`` 20 writes ``book`` 20's version row too, and records the class ``Book``). So
the keys are grouped by their objects' class (``BulkWriter.subclass_tables``: the tables below down to the class's,
found by a live row or a version row there) and each class is written as its own parts: ``item`` and ``book`` for
the books (``book`` with no column restored), ``item`` alone for the plain items. ``--only COLS`` restores those
columns of each table (a table with none of them gets its version rows only, as a single restore with ``--only``
writes); a deleted object is not re-created with it (refused, as a single restore refuses it).

The objects go one by one instead (services/bulk_objects.py) where this would not write what the one-by-one restore
writes: an ancestor or subclass keyed under other column names, an object in two subclass tables, and
an object whose tables disagree (a row in one table and not in another, or no state at T in an ancestor table). An
object of a subclass deleted since is skipped and said so: this table's history holds only its own columns, so
re-creating it from here would leave out its rows below (a single restore refuses it, naming the subclass table
that re-creates it whole). So is a deleted object whose key an object of another class holds now (an ancestor
table's live row: re-creating it would write over that object's row; a single restore refuses it), and an object
whose class changed over its history (its key deleted and reused by an object of another class): its class at the
time and now differ, or it is a plain object now with a subclass's rows in its history; restoring it set-based
would need a class change, so it is skipped and said so (a single restore refuses one whose class then and now differ).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from chrono_cli import conventions
from chrono_cli.conventions.shapes import staging
from chrono_cli.conventions.shapes.bulk import BulkWriter, mark_objects
from chrono_cli.conventions.writes import WriteContext, WriteMeta, WriteState
from chrono_cli.db.reflect import TableInfo
from chrono_cli.errors import NothingToWrite, UnsupportedOperation, UsageError
from chrono_cli.model import TableRef
from chrono_cli.records import Struct
from chrono_cli.services.bulk_restore import (
    SKIPPED_ABSENT,
    SKIPPED_LATER,
    SKIPPED_SAME,
    BulkPlan,
    BulkRow,
    context,
    refuse_problems,
    refuse_unknown,
    required,
    restored_values,
    uncreatable,
)
from chrono_cli.services.plan import compiled
from chrono_cli.services.target import Target, open_target
from chrono_cli.services.workspace import Catalog

Key = tuple[Any, ...]
SUBCLASS = "of {table} objects deleted since (chrono restore {table} re-creates them whole)"
TAKEN = "deleted, each key now held by an object of another class"
CHANGED = "of objects whose class changed over their history (a single restore of one says how)"
NOTE = ("{table} is part of a joined-inheritance hierarchy: each object's rows in {tables} are restored together, "
        "a set-based part per table, under one transaction")


class _Table(Struct):
    """One table of the hierarchy as planning reads it: its states at the time and live rows, by key."""

    target: Target
    ctx: WriteContext
    columns: list[str]  # the restored columns (none in a table below the restored one)
    stored: frozenset[str]  # columns whose values fit as stored (``BulkWriter.fits_as_stored``)
    states: dict[Key, dict[str, Any] | None]
    currents: dict[Key, dict[str, Any]]
    below: bool  # below the restored table: its rows are written with their objects, none of it restored
    needed: list[str]  # what a re-created row needs and the restore does not write (``bulk_restore.required``)
    info: TableInfo  # the live table
    tz: str | None  # the table's time zone setting


class _Part(Struct):
    """One table's rows of the objects of one class: a part of the write."""

    table: _Table
    own: bool  # the objects' class's table: records the class (``transaction_changes``)
    rows: list[BulkRow]
    changed: set[str]  # columns a restored (not re-created) row changes


def plan_joined(cat: Catalog, target: Target, writer: BulkWriter, ctx: WriteContext, keys: Sequence[Key],
                at: datetime, since: datetime | None, only: tuple[str, ...] | None, meta: WriteMeta,
                now: datetime, database: str, keys_file: str | None) -> BulkPlan | None:
    """Plan restoring the objects of ``keys`` (the keys changed since ``since``, or listed in ``keys_file``) to
    their states at ``at``, a part per table and class (see the module); None: they go one by one."""
    try:
        writer.check_revert(ctx)
    except UnsupportedOperation:
        return None
    if keys_file is None:  # the changed keys in key order, as the set-based restore of one table lists them
        keys = sorted(keys)
    refs, classes = writer.ancestor_tables(ctx), writer.subclass_tables(ctx, keys)
    if refs is None or classes is None:
        return None
    tables = _Tables(cat, writer, ctx, meta, now, only)
    ups = [tables.of(r) for r in refs]
    own = tables.own(target)
    if any(tuple(t.ctx.det.key) != tuple(ctx.det.key) for t in ups):
        return None
    if only:  # the object's columns: every table's from the root down to this one
        restorable = [c for t in (*ups, own) for c in tables.writer.recorded(t.ctx)]
        if unknown := [c for c in only if c not in restorable]:
            raise UsageError(f"--only: {', '.join(unknown)} is not a restorable column of {target.ref}",
                             hint=f"restorable: {', '.join(dict.fromkeys(restorable))}")
    # an ancestor table's keys changed since are a superset of ours where each change of an object versions every
    # table of it (Continuum's own versioning): read by the same one query, not by 1,000 keys a query
    for t in (*ups, own):
        tables.read(t, keys, at, since)
    if since is not None:  # native versioning versions only the tables written: read the rest by key
        had = [k for k in keys if own.states.get(k) is not None]
        for t in ups:
            tables.read(t, [k for k in had if k not in t.states], at, None)
    groups: dict[tuple[TableRef, ...], list[Key]] = {}
    for key in keys:
        groups.setdefault(classes.get(key, ()), []).append(key)
    parts: list[list[_Part]] = []
    for chain, members in groups.items():
        downs = [tables.of(r, below=True) for r in chain]
        if any(tuple(t.ctx.det.key) != tuple(ctx.det.key) for t in downs):
            return None
        for t in downs:
            tables.read(t, members, at, None)
        group = [*ups, own, *downs]
        parts.append([_Part(t, t is group[-1], [], set()) for t in group])
    skipped: Counter[str] = Counter()
    problems: list[str] = []
    absent: list[Key] = []
    of = {k: group for group, members in zip(parts, groups.values(), strict=True) for k in members}
    for key in keys:
        verdict = _decide(of[key], len(ups), key, problems, only)
        if verdict is None:
            return None  # an object whose tables disagree: written one by one, as a single restore writes it
        if verdict:
            skipped[verdict] += 1
            if verdict == SKIPPED_ABSENT:
                absent.append(key)
    if keys_file is not None and absent:
        refuse_unknown(conventions.of(ctx.det).write(), ctx, absent, keys_file, target.ref)
    refuse_problems(problems, target.ref)
    written = [p for group in parts for p in group if p.rows]
    if not written:
        what = ", ".join(f"{n} {why}" for why, n in skipped.items()) or "no rows changed"
        raise NothingToWrite(f"nothing to restore in {target.ref} ({what})")
    order = {k: n for n, k in enumerate(keys)}
    rows = sorted((r for group in parts for r in group[len(ups)].rows), key=lambda r: order[r.key])
    plans = tuple(_plan(writer, p, n, at, since, meta, now, database) for n, p in enumerate(written, 1))
    names = ", ".join(dict.fromkeys(p.table for p in plans))
    notes = [NOTE.format(table=target.ref, tables=names), *writer.notes(ctx), *writer.meta_notes(ctx)]
    steps = tuple(s for p in plans for s in p.steps)
    return BulkPlan(table=str(target.ref), convention=ctx.det.adapter, history=str(ctx.det.store),
                    key=tuple(ctx.det.key), columns=tuple(own.columns), at=at, since=since, rows=tuple(rows),
                    skipped=dict(skipped), statements=compiled(steps, cat.conn.dialect), created_at=now,
                    database=database, actor=meta.actor, reason=meta.reason, notes=tuple(notes), steps=steps,
                    parts=plans)


class _Tables:
    """The hierarchy's tables, each opened and read once; their write contexts share one state (one transaction
    row for every part)."""

    def __init__(self, cat: Catalog, writer: BulkWriter, ctx: WriteContext, meta: WriteMeta, now: datetime,
                 only: tuple[str, ...] | None) -> None:
        self.cat, self.writer, self.adapter, self.meta, self.now = cat, writer, ctx.det.adapter, meta, now
        self.only = only
        self.shared = WriteState()
        self.opened: dict[str, _Table] = {}

    def own(self, target: Target) -> _Table:
        return self._open(target, below=False)

    def of(self, ref: TableRef, *, below: bool = False) -> _Table:
        name = str(ref)
        return self.opened.get(name) or self._open(open_target(self.cat, name), below=below)

    def _open(self, target: Target, *, below: bool) -> _Table:
        ctx = context(self.cat, target, self.adapter, self.meta, self.now, self.shared)
        columns = [] if below else [c for c in self.writer.recorded(ctx) if not self.only or c in self.only]
        table = _Table(target, ctx, columns, self.writer.fits_as_stored(ctx), {}, {}, below,
                       required(self.writer, ctx, columns), ctx.live_info, ctx.config.timezone)
        self.opened[str(target.ref)] = table
        return table

    def read(self, table: _Table, keys: Sequence[Key], at: datetime, since: datetime | None) -> None:
        """Add the states at ``at`` and live rows of ``keys`` (``since``: of the keys changed since, ``keys`` among
        them) to what ``table`` holds."""
        if keys:
            table.states.update(self.writer.states(table.ctx, at, keys, since))
            table.currents.update(self.writer.live_rows(table.ctx, keys, since))


def _decide(parts: list[_Part], at: int, key: Key, problems: list[str], only: tuple[str, ...] | None) -> str | None:
    """Plan one object (its rows added to each part; ``at``: the restored table's part): "" written, else why it is
    skipped (an object of a subclass deleted since is: a single restore refuses to re-create it from here); None:
    its tables disagree."""
    own = parts[at].table
    state, current = own.states.get(key), own.currents.get(key)
    if state is None:  # no state then (never versioned by then, or deleted): the one-by-one restore skips it too
        return SKIPPED_ABSENT if current is None else SKIPPED_LATER
    gone = current is None
    below = [p.table for p in parts[at + 1:]]
    if below:  # its history has rows below this table: an object of a subclass then, now, or once
        then = all(t.states.get(key) is not None for t in below)
        if gone and then:  # its history here holds only this table's columns: it cannot be re-created from here
            return SUBCLASS.format(table=below[-1].target.ref)
        if gone or not then or any(t.currents.get(key) is None for t in below):
            return CHANGED  # of another class then than now (or once): a single restore refuses one that differs
    if gone and any(p.table.currents.get(key) is not None for p in parts[:at]):
        return TAKEN  # an ancestor's live row holds the key: an object of another class now
    if gone and only:
        problems.append(uncreatable(key, only, ()))
    planned: list[tuple[_Part, BulkRow, Sequence[str]]] = []
    for p in parts:
        t = p.table
        now = t.currents.get(key)
        if (now is None) is not gone:
            return None
        if t.below:  # nothing of it restored: its row is versioned with the object
            planned.append((p, BulkRow(key, now, {}), ()))
            continue
        was = t.states.get(key)
        if was is None:
            return None
        new, changed = restored_values(key, was, now, t.columns, t.stored, t.info, t.tz, problems)
        if gone and t.needed:
            problems.append(uncreatable(key, None, t.needed))
        planned.append((p, BulkRow(key, now, new), changed))
    if not gone and not any(differs for _, _, differs in planned):
        return SKIPPED_SAME
    for p, row, differs in planned:
        p.rows.append(row)
        if not gone:
            p.changed.update(differs)
    return ""


def _plan(writer: BulkWriter, part: _Part, n: int, at: datetime, since: datetime | None, meta: WriteMeta,
          now: datetime, database: str) -> BulkPlan:
    """The ``n``-th part (its steps compiled against a staging table of its own name: the write names each anew)."""
    t = part.table
    ctx = t.ctx
    restored = any(r.current is not None for r in part.rows)  # with none, every column stays in the UPDATE
    kept = tuple(c for c in t.columns if restored and c not in part.changed)
    stage = mark_objects(staging.staging(ctx, t.columns, f"{staging.STAGE}_{n}_{ctx.det.live.name}", kept=kept),
                         covered=not part.own)
    steps = writer.steps(ctx, stage, t.columns)
    return BulkPlan(table=str(t.target.ref), convention=ctx.det.adapter, history=str(ctx.det.store),
                    key=tuple(ctx.det.key), columns=tuple(t.columns), at=at, since=since, rows=tuple(part.rows),
                    skipped={}, statements=(), created_at=now, database=database, actor=meta.actor,
                    reason=meta.reason, steps=tuple(steps), kept=kept, covered=not part.own)
