"""Shape engines: reading, change listing, writing and drift rules for a history layout, written once.

One module per shape; ``adapters`` binds them to declared layouts (adapter name = shape name). The names below
are the public API a convention plugin builds on (see README "Writing a convention"); they keep their signatures:

- a paired old-state store (``<table>_history``-like, keyed by the base key + a version): describe it with an
  ``OldStateLayout``, subclass ``OldStateAdapter`` (add ``detect``) and ``OldStateWriter`` (add metadata values);
- any other table-shaped store: turn its rows into ``Entry`` values (``history_rows`` + ``row_entries`` read
  a ``Declared`` layout's roles) and let ``states_after`` (rows hold the new state) or ``states_before`` (rows
  hold the replaced state) build the versions; ``Bypass`` names the writes that skip the store;
- versions kept in the table itself: ``read_rows`` over an in-table ``Declared`` layout;
- ``window``: a change listing's time bounds on a stored time column.

Each name is imported from its module on first use, so a convention importing one shape engine does not import
them all.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chrono_cli.conventions.shapes.common import (
        Bypass,
        Declared,
        Entry,
        Origin,
        history_rows,
        row_entries,
        states_after,
        states_before,
    )
    from chrono_cli.conventions.shapes.in_table import read_rows
    from chrono_cli.conventions.shapes.old_state import (
        OldStateAdapter,
        OldStateLayout,
        appended_columns,
        old_state_events,
        read_old_state,
    )
    from chrono_cli.conventions.shapes.old_state_write import OldStateWriter
    from chrono_cli.conventions.shapes.window import window

_MODULES = {"common": ("Bypass", "Declared", "Entry", "Origin", "history_rows", "row_entries", "states_after",
                       "states_before"),
            "in_table": ("read_rows",),
            "old_state": ("OldStateAdapter", "OldStateLayout", "appended_columns", "old_state_events",
                          "read_old_state"),
            "old_state_write": ("OldStateWriter",), "window": ("window",)}
_WHERE = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "Bypass", "Declared", "Entry", "OldStateAdapter", "OldStateLayout", "OldStateWriter", "Origin",
    "appended_columns", "history_rows", "old_state_events", "read_old_state", "read_rows", "row_entries",
    "states_after", "states_before", "window",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
