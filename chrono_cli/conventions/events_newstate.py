"""Moved: ``previous_states`` to ``shapes.new_state``, each library's listing to its package. Re-exported here
for code written against the old place."""

from __future__ import annotations

from chrono_cli.conventions.builtin.continuum.events import continuum_events
from chrono_cli.conventions.builtin.simple_history.events import simple_history_events
from chrono_cli.conventions.shapes.new_state import previous_states

_previous = previous_states

__all__ = ["continuum_events", "previous_states", "simple_history_events"]
