"""history_meta's set-based writes: the old-state ones (shapes/old_state_bulk.py), but for single-table inheritance."""

from __future__ import annotations

from typing import Any

from sqlalchemy.sql import Select

from chrono_cli.conventions.shapes.bulk import Undo
from chrono_cli.conventions.shapes.old_state import appended_columns
from chrono_cli.conventions.shapes.old_state_bulk import OldStateBulk
from chrono_cli.conventions.writes.base import WriteContext


class HistoryMetaBulk(OldStateBulk):
    """SQLAlchemy's history_meta example: ``<table>_history`` rows holding the state before each change."""

    def undo(self, ctx: WriteContext, group: Any) -> dict[tuple[Any, ...], Undo] | None:
        """None where single-table-inheritance columns follow ``changed`` (``_inherited``)."""
        return None if _inherited(ctx) else super().undo(ctx, group)

    def undo_query(self, ctx: WriteContext, group: Any) -> Select[Any] | None:
        """None where ``undo`` is."""
        return None if _inherited(ctx) else super().undo_query(ctx, group)


def _inherited(ctx: WriteContext) -> bool:
    """Single-table-inheritance columns follow ``changed``: never written, they are unknown (the row-by-row revert
    keeps their current values, a history row's NULL would overwrite them)."""
    return bool(appended_columns(list(ctx.store_info.columns), ctx.det.time_col or ""))
