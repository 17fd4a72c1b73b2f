"""The periods extension's write-set (conventions.md 6D): an ordinary UPDATE / INSERT / DELETE of the base row.

The extension's ``<t>_system_time_write_history`` trigger archives the replaced row and its
``<t>_system_time_generated_always`` trigger stamps the period; the history table is read-only (its owner keeps
only SELECT). chrono writes neither the history nor the period columns nor the excluded columns (their current
values stay). A restore to the current state writes nothing, as the extension would (a no-op UPDATE leaves no
history row).
"""

from __future__ import annotations

from chrono_cli.conventions.builtin.periods.adapter import system_versioned
from chrono_cli.conventions.shapes.period_write import PeriodTriggerWriter, enabled
from chrono_cli.conventions.writes.base import WriteContext
from chrono_cli.db.triggers import TriggerInfo


class PeriodsWriter(PeriodTriggerWriter):
    """Base-table DML; the extension's triggers keep the history."""

    who = "the periods extension's triggers"

    def archivers(self, ctx: WriteContext) -> tuple[list[TriggerInfo], str]:
        p = system_versioned(ctx.live_info)
        if p is None:
            return [], "system versioning is no longer on (periods.system_versioning has no row for it)"
        found = [t for t in (enabled(ctx.live_info, p.write_history_trigger),
                             enabled(ctx.live_info, p.generated_always_trigger)) if t is not None]
        if len(found) < 2:
            return [], (f"trigger {p.write_history_trigger} or {p.generated_always_trigger} is missing or disabled")
        return found, ""
