"""Moved: time windows to ``shapes.window``, old-state listing to ``shapes.old_state``, the Chrononaut 0.4 and
Potion listings to their packages. Re-exported here for code written against the old places."""

from __future__ import annotations

from chrono_cli.conventions.builtin.chrononaut_activity.events import activity_events
from chrono_cli.conventions.builtin.potion.events import potion_events
from chrono_cli.conventions.shapes.old_state import Meta, old_state_events
from chrono_cli.conventions.shapes.window import time_pair, window

__all__ = ["Meta", "activity_events", "old_state_events", "potion_events", "time_pair", "window"]
