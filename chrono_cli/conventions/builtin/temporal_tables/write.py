"""temporal_tables' write-set (conventions.md 6A/6B): an ordinary UPDATE / INSERT / DELETE of the base row.

The ``versioning()`` trigger copies the OLD row into the history table with its period closed at the
transaction's time and opens the new row's period: chrono writes neither. Only the columns the history table
records are restored; the others keep their current values. A row already changed in the same transaction is
not archived again (one history row per row per transaction).
"""

from __future__ import annotations

from chrono_cli.conventions.builtin.temporal_tables.adapter import TemporalOptions
from chrono_cli.conventions.shapes.period_write import PeriodTriggerWriter, enabled
from chrono_cli.conventions.writes.base import WriteContext
from chrono_cli.db.triggers import TriggerInfo


class TemporalTablesWriter(PeriodTriggerWriter):
    """Base-table DML; the versioning trigger keeps the history."""

    who = "the versioning() trigger"

    def archivers(self, ctx: WriteContext) -> tuple[list[TriggerInfo], str]:
        name = ctx.det.opts(TemporalOptions).trigger
        found = enabled(ctx.live_info, name)
        if found is None:
            return [], (f"trigger {name} is disabled" if name else "no versioning() trigger")
        return [found], ""
