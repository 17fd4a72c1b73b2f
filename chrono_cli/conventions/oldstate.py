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
from chrono_cli.model import Op, RowKey, Version

Meta = Callable[[Mapping[Any, Any]], tuple[str | None, str | None, str | None]]  # actor, reason, note


@dataclass(frozen=True, slots=True)
class OldStateLayout:
    """How one library lays out an old-state store."""

    meta_columns: frozenset[str]
    first_version: int
    meta: Meta | None = None


def read_old_state(ctx: ReadContext, det: Detection, key: RowKey, layout: OldStateLayout) -> list[Version]:
    """Every state of ``key``: history rows by version, then the live row (or a deletion)."""
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
    hist_unrecorded = tuple(c for c in live_cols if c not in store_cols)
    cur_unrecorded = tuple(c for c in live_cols if c in declared)

    out: list[Version] = []
    prev_meta: tuple[str | None, str | None, str | None] = (None, None, None)
    prev_changed = None
    for i, row in enumerate(rows):
        number = row[vcol]
        op = Op.UPDATE if i else (Op.INSERT if number == layout.first_version else Op.UNKNOWN)
        actor, reason, note = prev_meta if i else (None, None, None)
        changed = as_utc(row.get(det.time_col or "changed"), tz)
        out.append(Version(values={c: row[c] for c in store_cols}, op=op, number=number,
                           valid_from=prev_changed, valid_to=changed, actor=actor, reason=reason,
                           unrecorded=hist_unrecorded, note=note))
        prev_meta = layout.meta(row) if layout.meta else (None, None, None)
        prev_changed = changed
    actor, reason, note = prev_meta
    if live is not None:
        op = Op.UPDATE if rows else (Op.INSERT if live.get(vcol) in (layout.first_version, None) else Op.UNKNOWN)
        out.append(Version(values={c: live[c] for c in live_cols if c not in declared}, op=op,
                           number=live.get(vcol), valid_from=prev_changed, actor=actor, reason=reason,
                           unrecorded=cur_unrecorded, current=True, note=note))
    elif rows:
        out.append(Version(values=None, op=Op.DELETE, valid_from=prev_changed, actor=actor, reason=reason,
                           note=note))
    return out


def paired_base(snapshot_get: Callable[[str], Any], store_name: str, suffix: str) -> Any:
    """The base table for a store named ``<base><suffix>``, if it exists."""
    if store_name.endswith(suffix) and len(store_name) > len(suffix):
        return snapshot_get(store_name[: -len(suffix)])
    return None
