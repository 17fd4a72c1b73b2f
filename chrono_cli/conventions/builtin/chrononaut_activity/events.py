"""Chrononaut 0.4's change listing: each activity row is a new state, diffed against the key's previous row."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import String, cast, select, tuple_

from chrono_cli.conventions.base import Detection, EventQuery, ReadContext
from chrono_cli.conventions.diffs import field_changes
from chrono_cli.conventions.rows import as_utc
from chrono_cli.conventions.shapes.window import window
from chrono_cli.model import Op, RowChange, RowKey


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def activity_events(ctx: ReadContext, det: Detection, query: EventQuery,
                    decode: Callable[[Mapping[Any, Any]], dict[str, Any]]) -> list[RowChange]:
    """Chrononaut 0.4: each activity row is the new state; the change is against the key's previous row."""
    if query.group is not None:
        return []
    store, live = ctx.info(det.store).table(), ctx.info(det.live).table()
    mine = store.c.table_name == det.live.name
    pg = ctx.conn.dialect.name == "postgresql"
    stored_key = cast(store.c.key, String).label("chrono_key_text")  # the key exactly as stored (not on jsonb)
    rows = ctx.conn.execute(select(store, *([] if pg else [stored_key]))
                            .where(mine, window(store.c.changed, query, None, ctx.conn.dialect.name))
                            .order_by(store.c.changed.desc(), store.c.id.desc()).limit(query.limit)).mappings().all()
    if not rows:
        return []
    keys = {json.dumps(_json(r["key"]), sort_keys=True) for r in rows}
    related: dict[str, list[Mapping[Any, Any]]] = {}
    # only the page's records: jsonb compares by value; elsewhere by the stored text of the key
    key_filter = store.c.key.in_([json.loads(k) for k in keys]) if pg else \
        cast(store.c.key, String).in_(sorted({r["chrono_key_text"] for r in rows}))
    query_all = select(store).where(mine, key_filter)
    for r in ctx.conn.execute(query_all.order_by(store.c.changed, store.c.id)).mappings():
        k = json.dumps(_json(r["key"]), sort_keys=True)
        if k in keys:
            related.setdefault(k, []).append(r)
    keycols = list(det.key)
    live_keys = [tuple(json.loads(k).get(c) for c in keycols) for k in keys]
    lives = {tuple(r[c] for c in keycols) for r in ctx.conn.execute(
        select(*[live.c[c] for c in keycols]).where(tuple_(*[live.c[c] for c in keycols]).in_(live_keys))).mappings()}
    columns = [c for c in live.columns.keys() if c != "version"]
    out: list[RowChange] = []
    for r in rows:
        k = json.dumps(_json(r["key"]), sort_keys=True)
        chain = related[k]
        i = next(n for n, x in enumerate(chain) if x["id"] == r["id"])
        prev = chain[i - 1] if i else None
        nxt = chain[i + 1] if i + 1 < len(chain) else None
        key_values = tuple(json.loads(k).get(c) for c in keycols)
        is_delete = (nxt is not None and nxt["version"] == 0) or (nxt is None and key_values not in lives)
        user, extra = _json(r["user_info"]) or {}, _json(r["extra_info"]) or {}
        new = decode(_json(r["data"]) or {})
        old = decode(_json(prev["data"]) or {}) if prev is not None and r["version"] != 0 else None
        if r["version"] == 0:
            op, changes = Op.INSERT, field_changes(None, new, columns)
        elif is_delete:
            op, changes = Op.DELETE, ()
        else:
            op, changes = Op.UPDATE, field_changes(old, new, columns)
        out.append(RowChange(det.live, RowKey(tuple(zip(keycols, key_values, strict=True))), op,
                             as_utc(r["changed"]), _str(user.get("user_id")), _str(extra.get("rationale")), changes))
    return out


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
