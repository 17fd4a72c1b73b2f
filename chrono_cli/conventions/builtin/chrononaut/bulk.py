"""Chrononaut 0.1/0.2's set-based restore: the old-state one plus ``change_info`` (actor and reason)."""

from __future__ import annotations

import json
from typing import Any

from chrono_cli.conventions.shapes.old_state_bulk import OldStateBulk
from chrono_cli.conventions.types import is_json
from chrono_cli.conventions.writes.base import WriteContext


class ChrononautBulk(OldStateBulk):
    """Chrononaut 0.1/0.2: history_meta plus ``change_info`` (actor and reason)."""

    meta_columns = frozenset({"version", "changed", "change_info"})

    def extra(self, ctx: WriteContext) -> dict[str, Any]:
        info: dict[str, Any] = {"user_id": ctx.meta.actor, "remote_addr": None}
        if ctx.meta.reason:
            info["extra"] = {"rationale": ctx.meta.reason}
        column = ctx.store_info.columns.get("change_info")
        if column is None:
            return {}
        return {"change_info": info if is_json(column.type) else json.dumps(info)}
