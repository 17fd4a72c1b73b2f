"""Trigger-written audit logs: one log row per row change with the values before and after it, written by
triggers on the audited tables (postgresql-audit, the 2ndQuadrant audit trigger, supabase's supa_audit).

A convention says how to select a table's rows of its log, how to narrow them to one record, and what one row
means (``LogEntry``: the operation, the values before and after as stored, time, transaction, actor). The
states are built by the diff-log engine (shapes/json_diff.py): a change whose old values do not start from the
state the previous one left (a write the triggers did not see) shows as an explicit unrecorded change.
Columns no log row ever names (excluded from auditing, or added after the last change) are not recorded.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Table
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FromClause

from chrono_cli.conventions.base import (
    NO_OPTIONS,
    ConventionAdapter,
    Degradation,
    Detection,
    EventQuery,
    Options,
    ReadContext,
)
from chrono_cli.conventions.diffs import field_changes
from chrono_cli.conventions.rows import fetch_live
from chrono_cli.conventions.shapes.common import decode_values
from chrono_cli.conventions.shapes.json_diff import Change, diff_states
from chrono_cli.conventions.shapes.window import window
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.db.triggers import TriggerInfo
from chrono_cli.model import Op, RowChange, RowKey, TableRef, Version
from chrono_cli.records import Struct, replace

EVENTS = ("INSERT", "UPDATE", "DELETE")


def unaudited(triggers: list[TriggerInfo]) -> list[str]:
    """The operations (INSERT, UPDATE, DELETE) no enabled trigger of ``triggers`` records."""
    covered = {e for t in triggers if t.enabled for e in t.events}
    return [e for e in EVENTS if e not in covered]


class LogEntry(Struct, frozen=True):
    """One log row: the operation, the values before and after it as stored (only those the row names)."""

    op: Op
    old: Mapping[str, Any]
    new: Mapping[str, Any]
    at: datetime | None = None
    number: Any = None
    actor: str | None = None
    group: Any = None  # the transaction that made it, where the log records one


class LogStore(Struct, frozen=True):
    """A log found in the schema: the table, tables of the convention that are not audited tables, its options
    and the evidence that found it."""

    table: TableInfo
    evidence: tuple[str, ...]
    own: tuple[TableRef, ...] = ()
    options: Options = NO_OPTIONS


TRUNCATED = "TRUNCATE of the table: every row deleted (the log records the statement, not the rows)"


class Logged(Struct, frozen=True):
    """One log row of a record as a change: its place in the log, the key before it and, for an UPDATE that
    changed the key, the key after it."""

    order: tuple[Any, ...]
    change: Change
    key: RowKey | None
    moved_to: RowKey | None = None

    def noted(self, note: str, *, moved: bool = False) -> Logged:
        """The same change with ``note`` (and marked as ending the row's life under its key)."""
        text = f"{note}; {self.change.note}" if self.change.note else note
        return replace(self, change=replace(self.change, note=text, moved=moved))

    def without(self, skip: set[str]) -> Logged:
        """The change without the columns ``skip`` names."""
        ch = self.change
        return replace(self, change=replace(ch, old={c: v for c, v in ch.old.items() if c not in skip},
                                            new={c: v for c, v in ch.new.items() if c not in skip}))


def _key_of(names: tuple[str, ...], values: Mapping[str, Any]) -> RowKey | None:
    """The key ``values`` name (None: not all its columns)."""
    if any(n not in values for n in names):
        return None
    return RowKey(tuple((n, values[n]) for n in names))


def _key_text(key: RowKey) -> str:
    return ", ".join(f"{n}={v}" for n, v in key.items)


class TriggerLogAdapter(ConventionAdapter):
    """A trigger-written log: a convention supplies its queries and how to read one row.

    Detection: every table with a primary key is a candidate; one with the convention's triggers is audited (and
    degraded where an operation has no enabled trigger), one without is confirmed by its rows in the log.
    """

    time_column: ClassVar[str] = "issued_at"
    function: ClassVar[str] = ""  # the trigger function that writes the log

    @abc.abstractmethod
    def stores(self, snapshot: SchemaSnapshot) -> Iterator[LogStore]:
        """The logs of this convention in the snapshot."""

    def audit_triggers(self, base: TableInfo) -> list[TriggerInfo]:
        """The triggers on ``base`` that write the log, enabled or not."""
        return [t for t in base.triggers if t.function == self.function]

    def options(self, store: LogStore, base: TableInfo, triggers: list[TriggerInfo]) -> Options:
        """What a detection of ``base`` carries."""
        return store.options

    def detect(self, snapshot: SchemaSnapshot) -> Iterator[Detection]:
        for store in self.stores(snapshot):
            for base in snapshot:
                if base is store.table or base.ref in store.own or not base.pk:
                    continue
                triggers = self.audit_triggers(base)
                degraded = tuple(Degradation(f"no enabled audit trigger records {e.lower()}s on {base.ref.name}: "
                                             f"such a write would leave no row in {store.table.ref.name}")
                                 for e in unaudited(triggers)) if triggers else ()
                names = ", ".join(f"{t.name}{'' if t.enabled else ' (disabled)'}" for t in triggers)
                found = (f"{base.ref.name} has audit trigger(s) calling {self.function}(): {names}" if triggers
                         else f"{store.table.ref} holds rows with table_name = '{base.ref.name}'")
                yield Detection(self.name, base.ref, store.table.ref, base.pk, time_col=self.time_column, score=4,
                                confirm=not triggers, degraded=degraded, evidence=(*store.evidence, found),
                                options=self.options(store, base, triggers))

    @abc.abstractmethod
    def log_rows(self, ctx: ReadContext, det: Detection) -> Select[Any]:
        """The log's rows of this table (any joins the convention needs), unordered."""

    @abc.abstractmethod
    def record_filter(self, store: Table, key: RowKey) -> ColumnElement[bool]:
        """The log rows that name ``key`` before or after the change."""

    @abc.abstractmethod
    def entry(self, row: Mapping[Any, Any]) -> LogEntry:
        """What one log row says."""

    def excluded(self, ctx: ReadContext, det: Detection) -> tuple[str, ...]:
        """Columns the triggers leave out of the log (declared in their arguments)."""
        return ()

    def group_filter(self, store: Table, group: Any) -> ColumnElement[bool] | None:
        """The log rows of one transaction (None: the log does not record transactions, or not this one)."""
        return None

    def documents(self, store: FromClause) -> tuple[ColumnElement[Any], ColumnElement[Any]] | None:
        """A log row's values before and after its change, each as one stored document (hstore or JSONB): the
        whole old row of an UPDATE or DELETE, the whole new row of an INSERT or UPDATE (NULL where there is
        none). None: the log's rows cannot be compared in SQL, so its timelines are read whole, never paged."""
        return None

    def op_is(self, store: FromClause, op: Op) -> ColumnElement[bool]:
        """The log rows recording ``op`` (INSERT or DELETE; with ``documents``)."""
        raise NotImplementedError

    def versions_page(self, ctx: ReadContext, det: Detection, key: RowKey, before: int | None,
                      size: int) -> list[Version] | None:
        """A window of the record's log rows, positioned by the gaps the server finds in the older ones
        (shapes/trigger_log_page.py); None where the log cannot be so compared, or the record changed its key or
        lived through a TRUNCATE (its timeline then spans other rows: read whole)."""
        from chrono_cli.conventions.shapes.trigger_log_page import page

        return page(self, ctx, det, key, before, size)

    def _decoded(self, ctx: ReadContext, det: Detection, raw: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
        values, unknown = decode_values(ctx, det, dict(raw or {}))
        return {c: v for c, v in values.items() if c not in unknown}, unknown

    def record_filters(self, ctx: ReadContext, det: Detection, store: Table, key: RowKey) -> list[ColumnElement[bool]]:
        """Ways to find the log rows naming ``key``, tried in order until one finds rows (an indexed lookup first,
        where the log keeps one)."""
        return [self.record_filter(store, key)]

    def truncates(self, ctx: ReadContext, det: Detection) -> Select[Any] | None:
        """The log rows recording a TRUNCATE of this table (None: the log records none)."""
        return None

    def _changes(self, ctx: ReadContext, det: Detection, key: RowKey, skip: set[str]) -> list[Logged]:
        """The key's log rows as changes, in log order, each with its place in the log and the keys it joins."""
        store = ctx.info(det.store).table()
        order = list(store.primary_key.columns)
        rows: list[Any] = []
        for cond in self.record_filters(ctx, det, store, key):
            rows = list(ctx.conn.execute(self.log_rows(ctx, det).where(cond).order_by(*order)).mappings())
            if rows:
                break
        return self.logged(ctx, det, rows, skip)

    def logged(self, ctx: ReadContext, det: Detection, rows: Iterable[Mapping[Any, Any]],
               skip: set[str]) -> list[Logged]:
        """Log rows (in log order) as changes, each with its place in the log and the keys it joins."""
        order = list(ctx.info(det.store).table().primary_key.columns)
        out = []
        for r in rows:
            e = self.entry(r)
            old, gone_old = self._decoded(ctx, det, e.old)
            new, gone_new = self._decoded(ctx, det, e.new)
            unknown = tuple(dict.fromkeys((*gone_old, *gone_new)))
            note = f"keys with no matching column: {', '.join(unknown)}" if unknown else None
            before = _key_of(det.key, old)
            after = _key_of(det.key, {**old, **new}) if e.op is Op.UPDATE else None
            out.append(Logged(tuple(r[c.name] for c in order),
                              Change({c: v for c, v in old.items() if c not in skip},
                                     {c: v for c, v in new.items() if c not in skip}, e.op, e.at, e.number, e.actor,
                                     note=note), before, after if after != before else None))
        return out

    def _life(self, ctx: ReadContext, det: Detection, key: RowKey, skip: set[str]) -> tuple[list[Logged], RowKey]:
        """The record's changes across primary-key changes, and the key it has after them.

        An UPDATE that changed the key links the two keys' logs: the new key's timeline starts with the old key's
        changes before it; the old key's continues with the new key's changes after it, unless the old key was
        used again later (then the move ends that life, and no deletion is invented)."""
        own = self._changes(ctx, det, key, skip)
        first = own[0] if own else None
        if first is not None and first.moved_to == key and first.key is not None and first.key != key:
            earlier = [c for c in self._changes(ctx, det, first.key, skip) if c.order < first.order]
            moved = first.noted(f"primary key changed: {_key_text(first.key)} -> {_key_text(key)}")
            own = [*earlier, moved, *own[1:]]  # moved in from another key: its earlier life first
        life: list[Logged] = []
        for i, c in enumerate(own):
            if c.key != key or c.moved_to is None or c.moved_to == key:
                life.append(c)
                continue
            target = c.moved_to
            note = f"primary key changed: {_key_text(key)} -> {_key_text(target)}"
            if own[i + 1:]:  # the old key was used again: this life ends with the move
                life.append(c.noted(note + " (the row lives on under that key)", moved=True))
                continue
            later, final = self._follow(ctx, det, target, c.order, skip, 0)
            return [*life, c.noted(note), *later], final
        return life, key

    def _follow(self, ctx: ReadContext, det: Detection, key: RowKey, after: tuple[Any, ...], skip: set[str],
                depth: int) -> tuple[list[Logged], RowKey]:
        """The changes of ``key`` after a move into it, following further moves (bounded)."""
        out: list[Logged] = []
        later = [c for c in self._changes(ctx, det, key, skip) if c.order > after]
        for i, c in enumerate(later):
            if c.moved_to is None or c.moved_to == key or c.key != key or depth >= 20 or later[i + 1:]:
                out.append(c)
                continue
            rest, final = self._follow(ctx, det, c.moved_to, c.order, skip, depth + 1)
            return [*out, c.noted(f"primary key changed: {_key_text(key)} -> {_key_text(c.moved_to)}"), *rest], final
        return out, key

    def _with_truncates(self, ctx: ReadContext, det: Detection, life: list[Logged]) -> list[Change]:
        """The changes, with a deletion wherever the log recorded a TRUNCATE of the table while the row existed."""
        query = self.truncates(ctx, det)
        if query is None or not life:
            return [c.change for c in life]
        store = ctx.info(det.store).table()
        order = list(store.primary_key.columns)
        cuts = [(tuple(r[c.name] for c in order), self.entry(r).at)
                for r in ctx.conn.execute(query.where(*(c > v for c, v in zip(order, life[0].order, strict=True)))
                                          .order_by(*order)).mappings()]
        out: list[Change] = []
        exists = False
        pending = list(cuts)
        for c in life:
            while pending and pending[0][0] < c.order:
                _, at = pending.pop(0)
                if exists:
                    out.append(Change({}, {}, Op.DELETE, at, note=TRUNCATED))
                    exists = False
            out.append(c.change)
            exists = c.change.op is not Op.DELETE and not c.change.moved
        if exists and pending:
            out.append(Change({}, {}, Op.DELETE, pending[0][1], note=TRUNCATED))
        return out

    def versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        """The record's states from its log rows (across primary-key changes), oldest first, and the live row."""
        live_info = ctx.info(det.live)
        skip = set(ctx.config.unrecorded) | set(self.excluded(ctx, det))
        life, final = self._life(ctx, det, key, skip)
        seen = {c for e in life for c in (*e.change.old, *e.change.new)}
        if life:
            skip |= {c for c in live_info.columns if c not in seen}
            life = [e.without(skip) for e in life]
        changes = self._with_truncates(ctx, det, life)
        live = fetch_live(ctx.conn, live_info.table(), final)
        shown = [c for c in live_info.columns if c not in skip]
        return diff_states(changes, live, shown, tuple(c for c in live_info.columns if c in skip),
                           dict(key.as_dict()))

    def events(self, ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
        """Row changes in the window, newest first; ``query.group``: one transaction's."""
        store = ctx.info(det.store).table()
        stmt = self.log_rows(ctx, det).where(window(store.c[self.time_column], query, None, ctx.conn.dialect.name))
        if query.group is not None:
            only = self.group_filter(store, query.group)
            if only is None:
                return []
            stmt = stmt.where(only)
        rows = ctx.conn.execute(stmt.order_by(store.c[self.time_column].desc(),
                                              *(c.desc() for c in store.primary_key.columns))
                                .limit(query.limit)).mappings().all()
        info = ctx.info(det.live)
        skip = set(ctx.config.unrecorded) | set(self.excluded(ctx, det))
        columns = [c for c in info.columns if c not in skip]
        out: list[RowChange] = []
        for r in rows:
            e = self.entry(r)
            old, _ = self._decoded(ctx, det, e.old)
            new, _ = self._decoded(ctx, det, e.new)
            data = {**old, **new}
            if any(k not in data for k in det.key):
                continue
            key = RowKey(tuple((k, data[k]) for k in det.key))
            before = None if e.op is Op.INSERT else old
            after = None if e.op is Op.DELETE else data
            out.append(RowChange(det.live, key, e.op, e.at, e.actor, None,
                                 field_changes(before, after, [c for c in columns if c in data]), group=e.group))
        return out
