"""Writes and checks for trigger-written audit logs (shapes/trigger_log.py): an ordinary write of the base table,
in the plan's one transaction, after whatever context row the library's own session writes first; the table's
triggers write the log. chrono never writes log rows itself (that would double-log) and refuses a table whose
trigger for the operation is missing or disabled (the write would leave no trace); check-migrations reports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.checkspec import CheckContext, Drift, Subject
from chrono_cli.conventions.decode import Undecodable, decode
from chrono_cli.conventions.remedy import EnableTrigger, Remedy
from chrono_cli.conventions.rows import key_where
from chrono_cli.conventions.shapes.trigger_log import EVENTS, unaudited
from chrono_cli.conventions.writes.base import Step, WriteContext, Writer, WriteSet
from chrono_cli.db.reflect import TableInfo
from chrono_cli.db.triggers import TriggerInfo
from chrono_cli.errors import Refused
from chrono_cli.model import FieldChange, RowKey, Severity, Timeline

Triggers = Callable[[TableInfo], list[TriggerInfo]]


class TriggerLogWriter(Writer):
    """Base-table writes; the audit triggers ``triggers(table)`` write the log."""

    log_name = "audit log"

    def triggers(self, info: TableInfo) -> list[TriggerInfo]:
        """The table's audit triggers, enabled or not."""
        raise NotImplementedError

    def fix_hint(self, ctx: WriteContext) -> str:
        """How to get the triggers back."""
        return "re-create or enable the audit triggers, then retry"

    def before(self, ctx: WriteContext, out: WriteSet) -> None:
        """The context the library's session writes before the DML (none by default)."""
        if ctx.meta.actor or ctx.meta.reason:
            out.notes.append(f"the {self.log_name} records the database session, not --actor/--reason")

    def audited(self, ctx: WriteContext, event: str) -> WriteSet:
        """Refuse when no enabled audit trigger records ``event``; else the write set's first notes and steps."""
        if event in unaudited(self.triggers(ctx.live_info)):
            raise Refused(f"{ctx.det.live} has no enabled {ctx.det.adapter} trigger for {event}: the write would "
                          f"leave no row in {ctx.det.store}", hint=self.fix_hint(ctx))
        out = WriteSet(notes=[f"the table's audit triggers write the {ctx.det.store} row; chrono writes no log row "
                              "itself"])
        self.before(ctx, out)
        return out

    def deleted_log_keys(self, ctx: WriteContext) -> Select[Any]:
        """The key values (as text, in key order) the log's delete rows name for this table."""
        raise NotImplementedError

    def deleted_keys(self, ctx: WriteContext, limit: int | None = None) -> list[RowKey]:
        live, names = ctx.live, list(ctx.det.key)
        columns = ctx.live_info.columns
        found: list[RowKey] = []
        for row in ctx.conn.execute(self.deleted_log_keys(ctx).distinct()):
            try:
                key = RowKey(tuple((n, decode(v, columns[n].type, None)) for n, v in zip(names, row, strict=True)))
            except Undecodable:
                continue
            if ctx.conn.execute(select(live.c[names[0]]).where(key_where(live, key))).first() is None:
                found.append(key)
        found.sort(key=lambda k: tuple(str(v) for _, v in k.items))
        return found[:limit] if limit is not None else found

    def bookkeeping(self, det: Any) -> frozenset[str]:
        return frozenset()

    def lock(self, ctx: WriteContext, key: RowKey) -> None:
        """Lock the live row only: the log is appended to by the triggers, never rewritten."""
        live = ctx.live
        ctx.conn.execute(select(*live.primary_key.columns).where(key_where(live, key)).with_for_update())

    def store_where(self, ctx: WriteContext, key: RowKey) -> ColumnElement[bool] | None:
        return None  # a shared log: a record's rows are found by their values, see the adapter

    def update(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any], new: Mapping[str, Any],
               changes: Sequence[FieldChange], timeline: Timeline | None) -> WriteSet:
        out = self.audited(ctx, "UPDATE")
        values = {c.column: new[c.column] for c in changes}
        out.steps.append(Step(update(ctx.live).where(key_where(ctx.live, key)).values(values),
                              "live row (its audit trigger writes the log row)", expect=1))
        return out

    def insert(self, ctx: WriteContext, key: RowKey, new: Mapping[str, Any], timeline: Timeline) -> WriteSet:
        out = self.audited(ctx, "INSERT")
        out.steps.append(Step(insert(ctx.live_info.insert_table()).values(dict(new)),
                              "live row re-created (its audit trigger writes the log row)"))
        return out

    def delete(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any],
               timeline: Timeline | None) -> WriteSet:
        out = self.audited(ctx, "DELETE")
        out.steps.append(Step(delete(ctx.live).where(key_where(ctx.live, key)),
                              "live row deleted (its audit trigger writes the log row)", expect=1))
        return out


def trigger_comparator(triggers: Triggers, function: str,
                       remedy: Callable[[Subject], Remedy | None]) -> Callable[[Subject, CheckContext],
                                                                               Iterator[Drift]]:
    """A check-migrations comparator: every operation of a table with history rows needs an enabled audit trigger
    (calling ``function``); a disabled one is re-enabled, a missing one fixed by ``remedy``."""
    def compare(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
        base, store = subject.base, subject.store
        if base is None or store is None or ctx.dialect.name != "postgresql":
            return
        found = triggers(base)
        disabled = [t for t in found if not t.enabled]
        for t in disabled:
            yield Drift("trigger", Severity.ERROR,
                        f"audit trigger {t.name} on {base.ref.name} is disabled: its {'/'.join(t.events).lower()}s "
                        f"leave no row in {store.ref.name}", remedy=EnableTrigger(base.ref, t.name), target=base.ref)
        off = {e for t in disabled for e in t.events}
        missing = [e for e in unaudited(found) if e not in off]
        if missing:
            which = "no audit trigger" if len(missing) == len(EVENTS) else \
                f"no audit trigger for {', '.join(e.lower() for e in missing)}"
            yield Drift("trigger", Severity.ERROR,
                        f"{base.ref.name} has rows in {store.ref.name} but {which} (calling {function}()): its "
                        "changes are no longer audited", remedy=remedy(subject), target=base.ref)

    return compare
