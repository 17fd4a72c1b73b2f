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
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Table
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

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

EVENTS = ("INSERT", "UPDATE", "DELETE")


def unaudited(triggers: list[TriggerInfo]) -> list[str]:
    """The operations (INSERT, UPDATE, DELETE) no enabled trigger of ``triggers`` records."""
    covered = {e for t in triggers if t.enabled for e in t.events}
    return [e for e in EVENTS if e not in covered]


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One log row: the operation, the values before and after it as stored (only those the row names)."""

    op: Op
    old: Mapping[str, Any]
    new: Mapping[str, Any]
    at: datetime | None = None
    number: Any = None
    actor: str | None = None
    group: Any = None  # the transaction that made it, where the log records one


@dataclass(frozen=True, slots=True)
class LogStore:
    """A log found in the schema: the table, tables of the convention that are not audited tables, its options
    and the evidence that found it."""

    table: TableInfo
    evidence: tuple[str, ...]
    own: tuple[TableRef, ...] = ()
    options: Options = NO_OPTIONS


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

    def _decoded(self, ctx: ReadContext, det: Detection, raw: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
        values, unknown = decode_values(ctx, det, dict(raw or {}))
        return {c: v for c, v in values.items() if c not in unknown}, unknown

    def versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        """The record's states from its log rows, oldest first, and the live row."""
        store = ctx.info(det.store).table()
        rows = ctx.conn.execute(self.log_rows(ctx, det).where(self.record_filter(store, key))
                                .order_by(*store.primary_key.columns)).mappings().all()
        entries = [self.entry(r) for r in rows]
        live_info = ctx.info(det.live)
        seen = {c for e in entries for c in (*e.old, *e.new)}
        skip = set(ctx.config.unrecorded) | set(self.excluded(ctx, det)) | (
            {c for c in live_info.columns if c not in seen} if entries else set())
        changes: list[Change] = []
        for e in entries:
            old, gone_old = self._decoded(ctx, det, e.old)
            new, gone_new = self._decoded(ctx, det, e.new)
            unknown = tuple(dict.fromkeys((*gone_old, *gone_new)))
            note = f"keys with no matching column: {', '.join(unknown)}" if unknown else None
            changes.append(Change({c: v for c, v in old.items() if c not in skip},
                                  {c: v for c, v in new.items() if c not in skip}, e.op, e.at, e.number, e.actor,
                                  note=note))
        live = fetch_live(ctx.conn, live_info.table(), key)
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
