"""``chrono revert``: undo a whole change set, every row it touched back to its state just before it.

For each row of the change set chrono loads the row's timeline and finds the versions the change set made
(by transaction id where the store has one, else by their time). The state before the first of them is the
target: updated rows are restored to it, rows the change set created are deleted, rows it deleted are
re-inserted; each with the write-set its library would write, so the revert is itself in history. Versions
after the last of them are conflicts (the row changed again since): they refuse the revert unless --force.
Rows that cannot be written at all (a unique key taken meanwhile, a value that no longer fits, a state the
history never recorded) always refuse it. Order: re-inserts parents first, then updates, then deletes
children first, all in one transaction.
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from chrono_cli import conventions
from chrono_cli.conventions.writes import WriteMeta, WriteState
from chrono_cli.db.engine import safe_url
from chrono_cli.db.reflect import SchemaSnapshot
from chrono_cli.errors import NotFound, NothingToWrite, Refused, UnsupportedOperation, UsageError
from chrono_cli.model import ChangeSet, Op, RowChange, RowKey, TableRef, Timeline, Version
from chrono_cli.records import Struct, field
from chrono_cli.services.changes import DEFAULT_WINDOW, show_changeset
from chrono_cli.services.delete import delete_item
from chrono_cli.services.history import load_timeline
from chrono_cli.services.plan import Plan, PlanItem
from chrono_cli.services.restore import restore_item
from chrono_cli.services.target import Target, history_detection, open_target
from chrono_cli.services.workspace import Catalog, Workspace
from chrono_cli.services.writeset import default_reason, key_text, prepare, resolve_meta

UNWRITABLE = (Refused, UsageError, UnsupportedOperation, NotFound)  # what makes a row unrevertable


class Conflict(Struct, frozen=True):
    """A row the revert would write over (changed again later) or cannot write at all."""

    table: str
    key: Mapping[str, Any]
    message: str
    at: datetime | None = None
    actor: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"table": self.table, "key": dict(self.key), "message": self.message,
                "at": None if self.at is None else self.at.isoformat(), "actor": self.actor}


class Revert(Struct, frozen=True):
    """What reverting a change set would write, and what stands in its way."""

    changeset: ChangeSet
    plan: Plan | None                       # None: every row is already as it was before
    conflicts: tuple[Conflict, ...] = ()    # later changes --force would write over
    blocked: tuple[Conflict, ...] = ()      # rows that cannot be reverted (refused even with --force)
    skipped: tuple[str, ...] = ()           # rows already in their state before the change set

    @property
    def change_count(self) -> int:
        """The change set's row changes."""
        return len(self.changeset.changes)


class RevertRow(Struct):
    """One row of a revert as its timeline decides it."""

    target: Target
    key: RowKey
    timeline: Timeline
    action: str          # restore | undelete | delete | skip (already as before)
    seq: int = 0         # the timeline position to restore (restore, undelete)
    rank: int = 0        # the table's place in foreign-key order (parents first)
    later: list[Version] = field(default_factory=list)


def plan_revert(ws: Workspace, changeset_id: str, *, window: float = DEFAULT_WINDOW, force: bool = False,
                actor: str | None = None, reason: str | None = None) -> Revert:
    """Plan the revert of change set ``changeset_id`` (an id ``chrono changes`` printed)."""
    cs = show_changeset(ws, changeset_id, window=window)
    meta = default_reason(resolve_meta(ws.config, actor, reason), f"chrono revert: change set {cs.id}")
    now = datetime.now(UTC)
    conflicts: list[Conflict] = []
    blocked: list[Conflict] = []
    skipped: list[str] = []
    with ws.catalog() as cat:
        snapshot = cat.full_snapshot()
        rows: list[RevertRow] = []
        for (table, key), changes in _by_row(cs.changes).items():
            where = {"table": str(table), "key": dict(key.as_dict())}
            try:
                row = read_row(cat, table, key, changes, meta, now)
            except UNWRITABLE as exc:
                blocked.append(Conflict(message=str(exc), **where))  # type: ignore[arg-type]
                continue
            conflicts += [later_conflict(row, v) for v in row.later]
            if row.action == "skip":
                skipped.append(f"{table} {key_text(key)} is already gone (the change set created it)")
            else:
                rows.append(row)
        ordered = _order(_objects(rows), snapshot)
        items = plan_items(cat, ordered, meta, now, blocked, skipped)
    notes = _notes(cs, items)
    plan = None
    if items:
        tables = list(dict.fromkeys(i.table or "" for i in items))
        plan = Plan(table=", ".join(tables), dialect=cat.dialect, database=safe_url(ws.url), created_at=now,
                    items=tuple(items), actor=meta.actor, reason=meta.reason, notes=tuple(notes),
                    revert={"changeset": cs.id, "exact": cs.exact, "at": None if cs.at is None else cs.at.isoformat(),
                            "actor": cs.actor, "force": force, "conflicts": [c.to_json() for c in conflicts],
                            "skipped": skipped})
    return Revert(cs, plan, tuple(conflicts), tuple(blocked), tuple(skipped))


def _by_row(changes: Iterable[RowChange]) -> dict[tuple[TableRef, RowKey], list[RowChange]]:
    out: dict[tuple[TableRef, RowKey], list[RowChange]] = {}
    for c in changes:
        out.setdefault((c.table, c.key), []).append(c)
    return out


def read_row(cat: Catalog, table: TableRef, key: RowKey, changes: list[RowChange], meta: WriteMeta,
             now: datetime) -> RevertRow:
    """The row's timeline, the versions the change set made, and what undoing them means."""
    target = open_target(cat, str(table))
    tl = load_timeline(cat, target, key_text(key), None)
    made = _made(tl, changes)
    if not made:
        raise Refused(f"{table} {key_text(key)}: the change set's versions are not in the row's history")
    first, last = min(made), max(made)
    later = list(tl.versions[last + 1:])
    before = tl.versions[first - 1] if first > 0 else None
    prep = prepare(cat, target, None, meta, now)
    exists = prep.writer.current_row(prep.ctx, tl.key) is not None
    if before is None and tl.versions[first].op is not Op.INSERT:
        raise Refused(f"{table} {key_text(key)}: its history starts with the change set, so the state before it "
                      "is not recorded")
    if before is None or before.values is None:  # the change set created the row
        return RevertRow(target, tl.key, tl, "delete" if exists else "skip", later=later)
    return RevertRow(target, tl.key, tl, "restore" if exists else "undelete", seq=before.seq, later=later)


def _made(tl: Timeline, changes: list[RowChange]) -> list[int]:
    """Indexes of the versions the change set made: by transaction id where the versions are numbered by it, else
    by time (a change set that is no version number: an auditlog cid, a pghistory context)."""
    groups = {c.group for c in changes if c.group is not None}
    if groups:
        made = [i for i, v in enumerate(tl.versions) if v.number in groups and v.op is not Op.UNKNOWN]
        if made:
            return made
    times = {c.at for c in changes if c.at is not None}
    return [i for i, v in enumerate(tl.versions) if v.valid_from in times and v.op is not Op.UNKNOWN]


def later_conflict(row: RevertRow, v: Version) -> Conflict:
    where = {"table": str(row.timeline.table), "key": dict(row.key.as_dict())}
    if v.op is Op.UNKNOWN:
        return Conflict(message="the live row differs from its newest history entry (changed outside the history)",
                        **where)  # type: ignore[arg-type]
    label = f"p{v.seq}" + (f" (version {v.number})" if v.number is not None else "")
    return Conflict(message=f"changed again after the change set: {label} {v.op.value}", at=v.valid_from,
                    actor=v.actor, **where)  # type: ignore[arg-type]


def _objects(rows: list[RevertRow]) -> list[RevertRow]:
    """One row per object: a joined-inheritance child's write covers its ancestors' rows of the same key."""
    covered = {(up, r.key) for r in rows for up in history_detection(r.target).options.ancestors()}
    return [r for r in rows if (str(r.target.ref), r.key) not in covered]


def table_ranks(tables: Iterable[TableRef], snapshot: SchemaSnapshot) -> dict[TableRef, int]:
    """Each table's place in foreign-key order, parents first (empty when the keys form a cycle)."""
    among = set(tables)
    graph = {t: {fk.referred for fk in info.foreign_keys if fk.referred in among and fk.referred != t}
             for t in among if (info := snapshot.get(t)) is not None}
    try:
        return {t: n for n, t in enumerate(graphlib.TopologicalSorter(graph).static_order())}
    except graphlib.CycleError:
        return {}


def _order(rows: list[RevertRow], snapshot: SchemaSnapshot) -> list[RevertRow]:
    """Re-inserts parents first, then updates, then deletes children first (foreign keys hold throughout)."""
    rank = table_ranks({r.target.ref for r in rows}, snapshot)
    for r in rows:
        r.rank = rank.get(r.target.ref, 0)
    undeletes = sorted((r for r in rows if r.action == "undelete"), key=lambda r: r.rank)
    restores = [r for r in rows if r.action == "restore"]
    deletes = sorted((r for r in rows if r.action == "delete"), key=lambda r: -r.rank)
    return undeletes + restores + deletes


def plan_items(cat: Catalog, rows: list[RevertRow], meta: WriteMeta, now: datetime, blocked: list[Conflict],
               skipped: list[str], shared: WriteState | None = None,
               deleting: set[tuple[TableRef, RowKey]] | None = None) -> list[PlanItem]:
    """Plan items in order, sharing write state (one Continuum transaction for the whole revert); ``deleting``:
    every row the revert deletes (default: those of ``rows``)."""
    shared = WriteState() if shared is None else shared
    if deleting is None:
        deleting = {(r.target.ref, r.key) for r in rows if r.action == "delete"}
    items: list[PlanItem] = []
    for r in rows:
        saved = shared.checkpoint()
        try:
            if r.action == "delete":
                item = delete_item(cat, r.target, r.key, convention=None, meta=meta, now=now, shared=shared,
                                   deleting=deleting)
            else:
                item = restore_item(cat, r.target, r.key, action=r.action, seq=r.seq, only=None, convention=None,
                                    meta=meta, now=now, timeline=r.timeline, shared=shared)
        except NothingToWrite as exc:
            shared.rollback(saved)
            skipped.append(str(exc))
            continue
        except UNWRITABLE as exc:
            shared.rollback(saved)
            blocked.append(Conflict(str(r.timeline.table), dict(r.key.as_dict()), str(exc)))
            continue
        items.append(item)
    return items


def inferred_note(cs: ChangeSet) -> list[str]:
    """The plan's warning for an inferred change set (none for an exact one)."""
    if cs.exact:
        return []
    return [f"change set {cs.id} is inferred (same actor, changes close in time), not recorded as one "
            "transaction: check that its rows belong together"]


def _notes(cs: ChangeSet, items: list[PlanItem]) -> list[str]:
    notes = inferred_note(cs)
    blind = conventions.no_inserts(i.convention for i in items)
    if blind:
        notes.append(f"{blind} no inserts: rows the change set created there are not known to chrono and stay")
    return notes
