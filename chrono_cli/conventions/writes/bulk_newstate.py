"""Moved to ``builtin.continuum.bulk`` and ``builtin.simple_history.bulk``; re-exported for older imports."""

from __future__ import annotations

from chrono_cli.conventions.builtin.continuum.bulk import ContinuumBulk
from chrono_cli.conventions.builtin.simple_history.bulk import SimpleHistoryBulk

__all__ = ["ContinuumBulk", "SimpleHistoryBulk"]
