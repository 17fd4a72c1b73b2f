"""Writes for period conventions whose history the database keeps itself (the periods extension's triggers,
temporal_tables' ``versioning()`` trigger): chrono writes the base table only, ordinary DML in one transaction.

The trigger archives the replaced row into the history table with the period it was valid and stamps the new
row's period; chrono never writes a history row nor a period column (the triggers overwrite them anyway).
A missing or disabled trigger refuses the write: it would change the row without a trace.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from chrono_cli.conventions.rows import key_where
from chrono_cli.conventions.shapes.write import TriggerWriter
from chrono_cli.conventions.writes.base import WriteContext, WriteSet
from chrono_cli.db.reflect import TableInfo
from chrono_cli.db.triggers import TriggerInfo
from chrono_cli.errors import Refused
from chrono_cli.model import FieldChange, RowKey, Timeline


class PeriodTriggerWriter(TriggerWriter):
    """Base-table writes; the convention names the triggers that keep its history."""

    who: str = "the versioning trigger"   # how notes name the writer of history

    @abc.abstractmethod
    def archivers(self, ctx: WriteContext) -> tuple[list[TriggerInfo], str]:
        """The enabled triggers that archive replaced rows, and why there are none (empty when there are)."""

    def writable(self, ctx: WriteContext, key: RowKey) -> None:
        check_archivers(self, ctx)

    def lock(self, ctx: WriteContext, key: RowKey) -> None:
        # the live row only: history rows are written by the triggers (periods' history is read-only: no FOR UPDATE)
        live = ctx.live
        ctx.conn.execute(select(*live.primary_key.columns).where(key_where(live, key)).with_for_update())

    def note(self, ctx: WriteContext, what: str) -> str:
        names = ", ".join(t.name for t in self.archivers(ctx)[0])
        return (f"chrono writes only {ctx.det.live} and never {ctx.det.store}: {what} is left to {self.who} "
                f"({names}); the new state's period starts at this transaction's start time")

    def update(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any], new: Mapping[str, Any],
               changes: Sequence[FieldChange], timeline: Timeline | None) -> WriteSet:
        ws = super().update(ctx, key, current, new, changes, timeline)
        return WriteSet(ws.steps, [self.note(ctx, "archiving the replaced state with the period it was valid")])

    def insert(self, ctx: WriteContext, key: RowKey, new: Mapping[str, Any], timeline: Timeline) -> WriteSet:
        ws = super().insert(ctx, key, new, timeline)
        return WriteSet(ws.steps, [self.note(ctx, "stamping the re-created row's period (an insert archives nothing: "
                                                  "the deletion stays recorded as the gap before it)")])

    def delete(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any],
               timeline: Timeline | None) -> WriteSet:
        ws = super().delete(ctx, key, current, timeline)
        return WriteSet(ws.steps, [self.note(ctx, "archiving the deleted state")])


def check_archivers(writer: PeriodTriggerWriter, ctx: WriteContext) -> None:
    """Refuse when no enabled trigger keeps the history: the write would leave no trace."""
    found, why = writer.archivers(ctx)
    if not found:
        raise Refused(f"{ctx.det.live}: {why}: a write now would change the row without recording it in "
                      f"{ctx.det.store}", hint="re-enable or re-create the trigger first (chrono check-migrations "
                                               "--suggest prints the DDL)")


def enabled(info: TableInfo, name: str | None) -> TriggerInfo | None:
    """The trigger ``name`` on ``info`` when it exists and is enabled."""
    return next((t for t in info.triggers if t.name == name and t.enabled), None)
