"""Reading paired stores whose rows hold the state *before* a change (history_meta, Chrononaut 0.2).

A history row with version v is the state that was replaced at ``changed``; the live row is the newest
state. The change that produced state v+1 is described by the metadata of history row v.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from chrono_cli.conventions.base import Detection, ReadContext
from chrono_cli.conventions.rows import as_utc, fetch_live, key_where
from chrono_cli.conventions.shapes.common import Entry, Origin, states_before
from chrono_cli.model import Op, RowKey, Version

Meta = Callable[[Mapping[Any, Any]], tuple[str | None, str | None, str | None]]  # actor, reason, note


@dataclass(frozen=True, slots=True)
class OldStateLayout:
    """How one library lays out an old-state store."""

    meta_columns: frozenset[str]
    first_version: int
    meta: Meta | None = None
    # history_meta appends single-table-inheritance subclass columns after the time column and never writes them
    # on updates (conventions.md 2A): a NULL there is not recorded (unknown), never shown as NULL
    appended_unwritten: bool = False


def read_old_state(ctx: ReadContext, det: Detection, key: RowKey, layout: OldStateLayout) -> list[Version]:
    """Every state of ``key``: history rows by version, then the live row (or a deletion).

    The states are built by the old-state shape engine (``shapes.common.states_before``), the same one
    declared old-state layouts use; this library layout adds its version numbering and metadata reader.
    """
    live_info, store_info = ctx.info(det.live), ctx.info(det.store)
    store = store_info.table()
    vcol = det.version_col or "version"
    rows = ctx.conn.execute(
        select(store).where(key_where(store, key)).order_by(store.c[vcol])).mappings().all()
    live = fetch_live(ctx.conn, live_info.table(), key)
    tz = ctx.config.timezone
    skip = layout.meta_columns | {vcol}
    declared = set(ctx.config.unrecorded)
    live_cols = [c for c in live_info.columns if c not in skip]
    store_cols = [c for c in store_info.columns if c not in skip and c not in declared]
    unwritten = set(appended_columns(list(store_info.columns), det.time_col or "changed")) & set(store_cols) \
        if layout.appended_unwritten else set()
    hist_unrecorded = tuple(c for c in live_cols if c not in store_cols)
    cur_unrecorded = tuple(c for c in live_cols if c in declared)
    entries = []
    for row in rows:
        actor, reason, note = layout.meta(row) if layout.meta else (None, None, None)
        entries.append(Entry(values={c: row[c] for c in store_cols if c not in unwritten or row[c] is not None},
                             op=None, number=row[vcol],
                             at=as_utc(row.get(det.time_col or "changed"), tz), actor=actor, reason=reason,
                             note=note))
    first = layout.first_version
    origin = Origin(first=lambda n: Op.INSERT if n == first or (n is None and not entries) else Op.UNKNOWN,
                    note=None, no_history=None)
    return states_before(entries, live, [c for c in live_cols if c not in declared], hist_unrecorded,
                         cur_unrecorded, origin, live_number=None if live is None else live.get(vcol))


def appended_columns(order: list[str], time_col: str) -> list[str]:
    """Store columns after the time column: where history_meta appends subclass columns it never writes."""
    return order[order.index(time_col) + 1:] if time_col in order else []

