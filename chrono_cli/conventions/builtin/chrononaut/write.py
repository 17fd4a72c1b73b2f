"""Chrononaut 0.1/0.2 (layout A): like history_meta, plus ``change_info`` on the history row.

Update: INSERT into ``<table>_history`` the tracked columns of the current row, ``version = COALESCE(version,
0)``, ``changed`` = now (UTC), ``change_info = {"user_id", "remote_addr": null, "extra": {"rationale"}}``
(plus ``hidden_cols_changed`` when a hidden column changed); UPDATE the live row with version + 1. A change
of untracked columns alone writes no history row and keeps the version. Undelete: INSERT with
``version = max(history.version) + 1`` (the ``__chrononaut_primary_key_nonunique__`` behaviour), no history.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from chrono_cli.conventions.builtin.chrononaut.adapter import LAYOUT
from chrono_cli.conventions.shapes.old_state_write import OldStateWriter
from chrono_cli.conventions.types import is_json
from chrono_cli.conventions.writes.base import WriteContext


class ChrononautWriter(OldStateWriter):
    """Chrononaut layout A (``<table>_history`` with change_info)."""

    meta_columns = LAYOUT.meta_columns
    hidden_makes_version = True

    def extra_values(self, ctx: WriteContext, hidden_changed: Sequence[str]) -> dict[str, Any]:
        return change_info(ctx, hidden_changed)


def change_info(ctx: WriteContext, hidden_changed: Sequence[str] = ()) -> dict[str, Any]:
    """The ``change_info`` value Chrononaut writes for this write's actor and reason (JSON text where the column
    is not JSON; nothing where the store has no such column)."""
    column = ctx.store_info.columns.get("change_info")
    if column is None:
        return {}
    info: dict[str, Any] = {"user_id": ctx.meta.actor, "remote_addr": None}
    if ctx.meta.reason:
        info["extra"] = {"rationale": ctx.meta.reason}
    if hidden_changed:
        info["hidden_cols_changed"] = list(hidden_changed)
    return {"change_info": info if is_json(column.type) else json.dumps(info)}
