"""Old-state shape: each history row is a copy of the base row as it was *before* a change.

A declared layout names the roles (``version`` or ``changed`` orders the rows; ``changed`` is when that state
ended; ``operation`` says whether an update or a delete ended it). The live row is the newest state.
"""

from __future__ import annotations

from chrono_cli.conventions.base import Detection, EventQuery, ReadContext
from chrono_cli.conventions.rows import fetch_live
from chrono_cli.conventions.shapes.common import (
    Declared,
    Entry,
    declared,
    history_rows,
    live_columns,
    row_entries,
    states_before,
)
from chrono_cli.model import RowChange, RowKey, Version


def table_entries(ctx: ReadContext, det: Detection, key: RowKey,
                  dec: Declared | None = None) -> tuple[list[Entry], list[str]]:
    """The key's history rows as entries, oldest first, and the base columns the history records."""
    dec = dec or declared(det)
    return row_entries(ctx, dec, history_rows(ctx, det, key, dec))


def unrecorded(ctx: ReadContext, det: Detection, recorded: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Base columns missing from history versions, and those missing from the current one (declared only)."""
    live_cols = list(ctx.info(det.live).columns)
    declared_out = tuple(c for c in live_cols if c in ctx.config.unrecorded)
    return tuple(c for c in live_cols if c not in recorded), declared_out


def read(ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
    """Every state of ``key``: the history rows in order, then the live row (or the deletion)."""
    entries, recorded = table_entries(ctx, det, key)
    live = fetch_live(ctx.conn, ctx.info(det.live).table(), key)
    hist_out, cur_out = unrecorded(ctx, det, recorded)
    return states_before(entries, live, live_columns(ctx, det), hist_out, cur_out)


def events(ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
    """Changes in the window: a history row's time is when the next state began."""
    from chrono_cli.conventions.shapes.events import declared_events

    return declared_events(ctx, det, query, read)

