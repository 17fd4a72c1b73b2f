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

The objects go one by one instead (services/bulk_objects.py) where this would not write what the one-by-one restore
writes: ``--only``, an ancestor keyed under other column names, keys whose objects are of a subclass (a row, live or
in its history, in a table extending the restored one: their objects reach further down), and an object whose
tables disagree (a row in one table and not in another, or no state at T in an ancestor table).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from chrono_cli import conventions
from chrono_cli.conventions.shapes import staging
from chrono_cli.conventions.shapes.bulk import BulkWriter, mark_objects
from chrono_cli.conventions.writes import WriteContext, WriteMeta, WriteState
from chrono_cli.errors import NothingToWrite, UnsupportedOperation
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
NOTE = ("{table} is part of a joined-inheritance hierarchy: each object's rows in {tables} are restored together, "
        "a set-based part per table, under one transaction")


class _Part(Struct):
    """One table of the hierarchy: what planning reads of it and the rows it writes."""

    target: Target
    ctx: WriteContext
    columns: list[str]
    stored: frozenset[str]  # columns whose values fit as stored (``BulkWriter.fits_as_stored``)
    states: dict[Key, dict[str, Any] | None]
    currents: dict[Key, dict[str, Any]]
    rows: list[BulkRow]
    changed: set[str]  # columns a restored (not re-created) row changes


def plan_joined(cat: Catalog, target: Target, writer: BulkWriter, ctx: WriteContext, keys: Sequence[Key],
                at: datetime, since: datetime | None, only: tuple[str, ...] | None, meta: WriteMeta,
                now: datetime, database: str, keys_file: str | None) -> BulkPlan | None:
    """Plan restoring the objects of ``keys`` (the keys changed since ``since``, or listed in ``keys_file``) to
    their states at ``at``, a part per table (see the module); None: they go one by one."""
    if only:
        return None
    try:
        writer.check_revert(ctx)
    except UnsupportedOperation:
        return None
    shared = WriteState()  # one transaction row for every part
    if keys_file is None:  # the changed keys in key order, as the set-based restore of one table lists them
        keys = sorted(keys)
    refs = writer.ancestor_tables(ctx)
    if refs is None or writer.subclass_keys(ctx, keys, ever=True):
        return None
    ups = [(t, context(cat, t, ctx.det.adapter, meta, now, shared)) for t in (open_target(cat, str(r)) for r in refs)]
    if any(tuple(c.det.key) != tuple(ctx.det.key) for _, c in ups):
        return None
    # an ancestor table's keys changed since are a superset of ours where each change of an object versions every
    # table of it (Continuum's own versioning): read by the same one query, not by 1,000 keys a query
    parts = [_read(writer, c, t, keys, at, since) for t, c in ups]
    parts.append(_read(writer, context(cat, target, ctx.det.adapter, meta, now, shared), target, keys, at, since))
    if since is not None:  # native versioning versions only the tables written: read the rest by key
        had = [k for k in keys if parts[-1].states.get(k) is not None]
        for p in parts[:-1]:
            lack = [k for k in had if k not in p.states]
            if lack:
                p.states.update(writer.states(p.ctx, at, lack))
                p.currents.update(writer.live_rows(p.ctx, lack, None))
    skipped: Counter[str] = Counter()
    problems: list[str] = []
    absent: list[Key] = []
    for key in keys:
        verdict = _decide(writer, parts, key, problems)
        if verdict is None:
            return None  # an object whose tables disagree: written one by one, as a single restore writes it
        if verdict:
            skipped[verdict] += 1
            if verdict == SKIPPED_ABSENT:
                absent.append(key)
    if keys_file is not None and absent:
        refuse_unknown(conventions.of(ctx.det).write(), ctx, absent, keys_file, target.ref)
    refuse_problems(problems, target.ref)
    own = parts[-1]
    if not own.rows:
        what = ", ".join(f"{n} {why}" for why, n in skipped.items()) or "no rows changed"
        raise NothingToWrite(f"nothing to restore in {target.ref} ({what})")
    plans = [_plan(writer, p, at, since, meta, now, database, own is p) for p in parts]
    notes = [NOTE.format(table=target.ref, tables=", ".join(str(p.target.ref) for p in parts))]
    notes += writer.notes(ctx) + writer.meta_notes(ctx)
    steps = tuple(s for p in plans for s in p.steps)
    return dataclasses.replace(plans[-1], skipped=dict(skipped), notes=tuple(notes), steps=steps,
                               statements=compiled(steps, cat.conn.dialect), parts=tuple(plans[:-1]))


def _read(writer: BulkWriter, ctx: WriteContext, target: Target, keys: Sequence[Key], at: datetime,
          since: datetime | None) -> _Part:
    """One table's states at ``at`` and live rows of ``keys`` (``since``: of the keys changed since, ``keys`` among
    them)."""
    return _Part(target, ctx, writer.recorded(ctx), writer.fits_as_stored(ctx), writer.states(ctx, at, keys, since),
                 writer.live_rows(ctx, keys, since), [], set())


def _decide(writer: BulkWriter, parts: list[_Part], key: Key, problems: list[str]) -> str | None:
    """Plan one object (its rows added to each part): "" written, else why it is skipped; None: its tables
    disagree."""
    own = parts[-1]
    state, current = own.states.get(key), own.currents.get(key)
    if state is None:  # no state then (never versioned by then, or deleted): the one-by-one restore skips it too
        return SKIPPED_ABSENT if current is None else SKIPPED_LATER
    if any(p.states.get(key) is None or (p.currents.get(key) is None) != (current is None) for p in parts):
        return None
    planned = []
    for p in parts:
        now = p.currents.get(key)
        new, differs = restored_values(key, p.states[key] or {}, now, p.columns, p.stored, p.ctx.live_info,
                                       p.ctx.config.timezone, problems)
        if current is None and (needed := required(writer, p.ctx, p.columns)):
            problems.append(uncreatable(key, None, needed))
        planned.append((p, BulkRow(key, now, new), differs))
    if current is not None and not any(differs for _, _, differs in planned):
        return SKIPPED_SAME
    for p, row, differs in planned:
        p.rows.append(row)
        if current is not None:
            p.changed.update(differs)
    return ""


def _plan(writer: BulkWriter, part: _Part, at: datetime, since: datetime | None, meta: WriteMeta, now: datetime,
          database: str, own: bool) -> BulkPlan:
    """One table's part (its steps compiled against a staging table of its own name)."""
    ctx = part.ctx
    restored = any(r.current is not None for r in part.rows)  # with none, every column stays in the UPDATE
    kept = tuple(c for c in part.columns if restored and c not in part.changed)
    stage = mark_objects(staging.staging(ctx, part.columns, f"{staging.STAGE}_{ctx.det.live.name}", kept=kept),
                         covered=not own)
    steps = writer.steps(ctx, stage, part.columns)
    return BulkPlan(table=str(part.target.ref), convention=ctx.det.adapter, history=str(ctx.det.store),
                    key=tuple(ctx.det.key), columns=tuple(part.columns), at=at, since=since, rows=tuple(part.rows),
                    skipped={}, statements=(), created_at=now, database=database, actor=meta.actor,
                    reason=meta.reason, steps=tuple(steps), kept=kept, objects=True)

