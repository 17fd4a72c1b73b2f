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
"""

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

__all__ = [
    "Bypass", "Declared", "Entry", "OldStateAdapter", "OldStateLayout", "OldStateWriter", "Origin",
    "appended_columns", "history_rows", "old_state_events", "read_old_state", "read_rows", "row_entries",
    "states_after", "states_before", "window",
]
