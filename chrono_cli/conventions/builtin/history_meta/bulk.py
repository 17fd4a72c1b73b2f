"""history_meta's set-based writes: the old-state ones (shapes/old_state_bulk.py), less the single-table-inheritance
columns the example never writes."""

from __future__ import annotations

from chrono_cli.conventions.shapes.old_state import appended_columns
from chrono_cli.conventions.shapes.old_state_bulk import OldStateBulk
from chrono_cli.conventions.writes.base import WriteContext


class HistoryMetaBulk(OldStateBulk):
    """SQLAlchemy's history_meta example: ``<table>_history`` rows holding the state before each change."""

    def unwritten(self, ctx: WriteContext) -> frozenset[str]:
        """Single-table-inheritance columns follow ``changed``: history_meta never writes them, so they are unknown
        (a restore keeps their current values, as the row-by-row one does; the history rows it writes leave them
        NULL, as ``HistoryMetaWriter`` does)."""
        return frozenset(appended_columns(list(ctx.store_info.columns), ctx.det.time_col or "changed"))
