"""New-state shape: each history row is the base row as a change left it (a deletion row marks the end).

``operation`` tells inserts, updates and deletes apart; without it the first row is of unknown origin and a
missing live row is a deletion at an unknown time. A live row that differs from the newest history row is
shown as a change the history did not record.
"""

from __future__ import annotations

from chrono_cli.conventions.base import Detection, EventQuery, ReadContext
from chrono_cli.conventions.rows import fetch_live
from chrono_cli.conventions.shapes.common import live_columns, states_after
from chrono_cli.conventions.shapes.old_state import table_entries, unrecorded
from chrono_cli.model import RowChange, RowKey, Version


def read(ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
    """Every state of ``key``: one per history row, the live row marked current (or added if it differs)."""
    entries, recorded = table_entries(ctx, det, key)
    live = fetch_live(ctx.conn, ctx.info(det.live).table(), key)
    hist_out, cur_out = unrecorded(ctx, det, recorded)
    shown = [c for c in live_columns(ctx, det) if c in recorded]
    return states_after(entries, live, shown, hist_out, cur_out)


def events(ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
    """Changes in the window: each history row is one change, at its time."""
    from chrono_cli.conventions.shapes.events import declared_events

    return declared_events(ctx, det, query, read)
