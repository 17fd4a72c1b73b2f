"""Moved to ``chrono_cli.conventions.shapes.old_state_write``; re-exported for older imports."""

from __future__ import annotations

from chrono_cli.conventions.shapes.old_state_write import OldStateWriter, missing_keys

__all__ = ["OldStateWriter", "missing_keys"]
