"""What a set-based ``chrono revert`` writes (services/revert_set.py plans and applies it): its rows by table, and the
plan document a dry run, ``--plan`` and ``apply`` show."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from chrono_cli import conventions
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.shapes import undo_plan
from chrono_cli.conventions.shapes.bulk import CHUNK
from chrono_cli.conventions.writes import Step, WriteContext, WriteMeta, WriteState
from chrono_cli.conventions.writes.values import jsonable
from chrono_cli.errors import Refused
from chrono_cli.model import ChangeSet, FieldChange
from chrono_cli.records import Struct
from chrono_cli.services.revert import (
    Conflict,
)
from chrono_cli.services.target import history_detection, open_target
from chrono_cli.services.workspace import Catalog, Workspace
from chrono_cli.services.writeset import changed_fields, diff_doc


class SetRow(Struct, frozen=True):
    """One row of a set-based revert: its key, action, live row (None: gone) and restored values (None: delete)."""

    key: tuple[Any, ...]
    action: str  # restore | undelete | delete
    current: Mapping[str, Any] | None
    new: Mapping[str, Any] | None
    member: bool = False  # an ancestor row of a joined-inheritance object: listed under the object's own row


class QuickRow(tuple[Any, ...]):
    """A row planned in SQL (``Quick``): a restore, its values read only when the plan lists it. The key tuple
    itself (100,000 of them are made at C speed, a third of the time of as many dataclass objects)."""

    __slots__ = ()
    action = "restore"
    member = False

    @property
    def key(self) -> tuple[Any, ...]:
        return tuple(self)


class QuickMember(QuickRow):
    """A row planned in SQL that is an ancestor row of a joined-inheritance object (``SetRow.member``)."""

    __slots__ = ()
    member = True


class Quick(Struct, frozen=True):
    """A table whose rows the database planned (shapes/undo_plan.py): every one a restore to the state before the
    change set ``group``; ``seen``: each row's fingerprint, compared again when the write stages it."""

    ws: Workspace
    group: Any
    keys: tuple[tuple[Any, ...], ...]  # in the change set's order
    seen: Mapping[tuple[Any, ...], Any]
    unchanged: frozenset[tuple[Any, ...]] = frozenset()  # keys whose restored columns all stay (an object's rows)

    def states(self, table: str, convention: str, keys: Sequence[tuple[Any, ...]] | None,
               ) -> dict[tuple[Any, ...], tuple[Any, ...]]:
        """The states the change set left and those before it (``undo_plan.states``) of ``keys`` (None: all), read
        from the store's rows of the set, which the revert's write leaves as they are."""
        with self.ws.catalog() as cat:
            ctx = write_context(cat, table, convention, WriteMeta(), datetime.now(UTC))
            writer = conventions.get(convention).write_bulk()
            u = undo_plan.undone(writer, ctx, self.group, writer.bookkeeping(ctx))
            if u is None:
                raise Refused(f"{table}: the change set's versions can no longer be read set-based")
            if keys is None:
                return undo_plan.states(u, None)
            out: dict[tuple[Any, ...], tuple[Any, ...]] = {}
            for i in range(0, len(keys), CHUNK):
                out.update(undo_plan.states(u, keys[i:i + CHUNK]))
            return out


@dataclasses.dataclass(frozen=True, slots=True)
class SetPart:
    """The rows of one table, and how they are written."""

    table: str
    convention: str
    history: str | None
    key: tuple[str, ...]
    columns: tuple[str, ...]  # the restored columns
    rank: int  # the table's place in foreign-key order (parents first)
    rows: tuple[SetRow | QuickRow, ...]
    order: tuple[str, ...] = ()  # the live table's columns
    quick: Quick | None = dataclasses.field(default=None, compare=False)  # the rows were planned in SQL
    # a quick part's joined-inheritance ancestors (quick parts, root first): its objects' rows there are listed here
    ancestors: tuple[SetPart, ...] = dataclasses.field(default=(), compare=False)

    def items(self, limit: int | None = None) -> list[dict[str, Any]]:
        """One entry per row (the first ``limit``): table, action, key and diff, as a row-by-row plan lists them (a
        re-inserted row's key among its values, in the table's column order)."""
        if self.quick is not None:
            return self._quick_items(self.quick, limit)
        out: list[dict[str, Any]] = []
        for r in self.rows:
            assert isinstance(r, SetRow)
            if r.member:
                continue
            if limit is not None and len(out) >= limit:
                break
            if r.new is None:
                changes = [FieldChange(c, v, None) for c, v in (r.current or {}).items()]
            elif r.current is None:
                values = {**dict(zip(self.key, r.key, strict=True)), **r.new}
                changes = changed_fields(None, {c: values[c] for c in self.order if c in values})
            else:
                changes = changed_fields(r.current, r.new)
            out.append({"table": self.table, "action": r.action,
                        "key": jsonable(dict(zip(self.key, r.key, strict=True))), "convention": self.convention,
                        "history": self.history, "diff": diff_doc(changes)})
        return out

    def _quick_items(self, quick: Quick, limit: int | None) -> list[dict[str, Any]]:
        """``items`` of rows planned in SQL: the live row held the state the set left (the plan checked it, the write
        checks it again), so a row's diff is that state against the one before, column by column; an object's diff
        its ancestor tables' columns first, root first (its rows there are not listed on their own)."""
        keys = list(islice((r.key for r in self.rows if not r.member), limit))
        every = len(keys) == len(quick.keys)
        parts = [p for p in (*self.ancestors, self) if p.quick is not None]
        found = [p.quick.states(p.table, p.convention, None if every else keys) for p in parts if p.quick]
        return [{"table": self.table, "action": "restore", "key": jsonable(dict(zip(self.key, k, strict=True))),
                 "convention": self.convention, "history": self.history,
                 "diff": diff_doc(FieldChange(c, was, now) for p, states in zip(parts, found, strict=True)
                                  for c, was, now in zip(p.columns, states[k][:len(p.columns)],
                                                         states[k][len(p.columns):], strict=True)
                                  if not same(was, now))}
                for k in keys]


@dataclasses.dataclass(frozen=True, slots=True)
class SetRevert:
    """What a set-based revert writes, and what stands in its way."""

    changeset: ChangeSet  # its head: a row change per table (changes.changeset_head)
    change_count: int  # the change set's row changes
    parts: tuple[SetPart, ...]
    conflicts: tuple[Conflict, ...]
    blocked: tuple[Conflict, ...]
    skipped: tuple[str, ...]
    force: bool
    database: str
    dialect: str
    created_at: datetime
    actor: str | None = None
    reason: str | None = None
    notes: tuple[str, ...] = ()
    statements: Sequence[Mapping[str, Any]] = ()
    steps: tuple[Step, ...] = dataclasses.field(default=(), compare=False)  # runnable (--sql inlines their values)

    def counts(self) -> tuple[int, int, int]:
        """Rows re-inserted, restored, deleted."""
        actions = [r.action for p in self.parts for r in p.rows if not r.member]
        return actions.count("undelete"), actions.count("restore"), actions.count("delete")

    def to_json(self, *, rows: bool | int = True) -> dict[str, Any]:
        """The plan document; ``rows``: every row's diff (True), none (False), or the first N."""
        cs = self.changeset
        added, changed, deleted = self.counts()
        doc: dict[str, Any] = {
            "set_based": True, "tables": [p.table for p in self.parts], "dialect": self.dialect,
            "database": self.database, "created_at": self.created_at.isoformat(), "actor": self.actor,
            "reason": self.reason, "notes": list(self.notes), "undelete": added, "restore": changed,
            "delete": deleted, "statements": list(self.statements),
            "revert": {"changeset": cs.id, "exact": cs.exact, "at": None if cs.at is None else cs.at.isoformat(),
                       "actor": cs.actor, "force": self.force, "conflicts": [c.to_json() for c in self.conflicts],
                       "skipped": list(self.skipped)}}
        if rows is not False:
            items: list[dict[str, Any]] = []
            for p in self.parts:
                if rows is not True and len(items) >= rows:
                    break
                items += p.items(None if rows is True else rows - len(items))
            doc["items"] = items
        return doc

    def lines(self) -> list[dict[str, Any]]:
        """``-f jsonl``: one line per row written, table and key first."""
        return [{"table": i["table"], "key": i["key"], **{k: v for k, v in i.items() if k not in ("table", "key")}}
                for p in self.parts for i in p.items()]


def write_context(cat: Catalog, table: str, convention: str, meta: WriteMeta, now: datetime,
                  shared: WriteState | None = None) -> WriteContext:
    """The write context of ``table`` as its plan read it (its convention)."""
    target = open_target(cat, table)
    det = history_detection(target, convention)
    return WriteContext(cat.conn, target.snapshot, det, cat.table_config(target.ref), now, meta,
                        WriteState() if shared is None else shared)
