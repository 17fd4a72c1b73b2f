"""Chrononaut 0.1/0.2's set-based restore: the old-state one plus ``change_info`` (actor and reason)."""

from __future__ import annotations

from typing import Any

from chrono_cli.conventions.builtin.chrononaut.adapter import LAYOUT
from chrono_cli.conventions.builtin.chrononaut.write import change_info
from chrono_cli.conventions.shapes.old_state_bulk import OldStateBulk
from chrono_cli.conventions.writes.base import WriteContext


class ChrononautBulk(OldStateBulk):
    """Chrononaut 0.1/0.2: history_meta plus ``change_info`` (actor and reason)."""

    meta_columns = LAYOUT.meta_columns

    def extra(self, ctx: WriteContext) -> dict[str, Any]:
        return change_info(ctx)
