"""Moved: ``shapes.old_state_bulk`` (OldStateBulk, alias HistoryMetaBulk), ``builtin.chrononaut.bulk``
(ChrononautBulk); re-exported for older imports."""

from __future__ import annotations

from chrono_cli.conventions.builtin.chrononaut.bulk import ChrononautBulk
from chrono_cli.conventions.shapes.old_state_bulk import HistoryMetaBulk, OldStateBulk

__all__ = ["ChrononautBulk", "HistoryMetaBulk", "OldStateBulk"]
