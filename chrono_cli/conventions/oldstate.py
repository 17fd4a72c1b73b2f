"""Moved to ``chrono_cli.conventions.shapes.old_state`` (the old-state engine); re-exported for older imports."""

from __future__ import annotations

from chrono_cli.conventions.shapes.old_state import Meta, OldStateLayout, appended_columns, read_old_state

__all__ = ["Meta", "OldStateLayout", "appended_columns", "read_old_state"]
