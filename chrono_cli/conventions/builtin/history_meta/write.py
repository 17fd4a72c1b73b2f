"""history_meta (SQLAlchemy examples/versioned_history): the pre-change state under its version, then version+1.

Write-set of an update, as the example's ``before_flush`` does it: INSERT into ``<table>_history`` every
column of the current row with its ``version`` and ``changed`` = now (naive UTC, or the configured zone),
then UPDATE the live row with the new values and ``version + 1``. Undelete: INSERT the live row with
``version = max(history.version) + 1`` (what the example's column default computes since SQLAlchemy 2.0.32)
and no history row. The store has no place for an actor or a reason. Single-table inheritance: the subclass
columns the example appends after ``changed`` are never written by it (conventions.md 2A), so chrono leaves
them NULL in the history rows it writes too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chrono_cli.conventions.builtin.history_meta.adapter import LAYOUT
from chrono_cli.conventions.shapes.old_state import appended_columns
from chrono_cli.conventions.shapes.old_state_write import OldStateWriter
from chrono_cli.conventions.writes.base import WriteContext


class HistoryMetaWriter(OldStateWriter):
    """SQLAlchemy's history_meta example."""

    meta_columns = LAYOUT.meta_columns

    def _history_row(self, ctx: WriteContext, current: Mapping[str, Any], number: int,
                     hidden: Sequence[str]) -> dict[str, Any]:
        row = super()._history_row(ctx, current, number, hidden)
        row.update(dict.fromkeys(appended_columns(list(ctx.store_info.columns), ctx.det.time_col or "changed")))
        return row
