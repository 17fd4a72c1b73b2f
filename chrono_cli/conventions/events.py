"""Row changes within a time window, per store layout, for change-set listings (newest first, batched)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Column, String, and_, cast, func, select, tuple_
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.base import Detection, EventQuery, ReadContext
from chrono_cli.conventions.rows import as_utc, zone
from chrono_cli.conventions.types import has_timezone
from chrono_cli.errors import UnsupportedOperation
from chrono_cli.model import FieldChange, Op, RowChange, RowKey

Meta = Callable[[Mapping[Any, Any]], tuple[str | None, str | None, str | None]]


def time_pair(column: Column[Any], value: datetime, tz_name: str | None, dialect: str = "") -> tuple[Any, Any]:
    """``column`` and ``value`` in a form they compare correctly (naive columns in their own zone; SQLite text
    times as julian days, whatever format the writer chose)."""
    naive = value if has_timezone(column.type) else value.astimezone(zone(tz_name)).replace(tzinfo=None)
    if dialect == "sqlite":
        return func.julianday(column), func.julianday(naive.replace(tzinfo=None).isoformat(" "))
    return column, naive


def window(column: Column[Any], query: EventQuery, tz_name: str | None, dialect: str = "") -> ColumnElement[bool]:
    """The query's bounds on a stored time column (naive columns compared in their own zone)."""
    conds: list[ColumnElement[bool]] = [column.is_not(None)]
    if query.since is not None:
        col, value = time_pair(column, query.since, tz_name, dialect)
        conds.append(col >= value)
    if query.until is not None:
        col, value = time_pair(column, query.until, tz_name, dialect)
        conds.append(col <= value)
    if query.before is not None:
        col, value = time_pair(column, query.before, tz_name, dialect)
        conds.append(col < value)
    return and_(*conds)


def _diff(old: Mapping[Any, Any] | None, new: Mapping[Any, Any] | None, columns: list[str]) -> tuple[FieldChange, ...]:
    from chrono_cli.conventions.diffs import field_changes

    return field_changes(old, new, columns)


def old_state_events(ctx: ReadContext, det: Detection, query: EventQuery, skip: frozenset[str],
                     meta: Meta | None) -> list[RowChange]:
    """history_meta / Chrononaut 0.2: each history row v is a change that ended state v at ``changed``."""
    if query.group is not None:
        return []
    if det.time_col is None:
        raise UnsupportedOperation(f"{det.store} has no time column, so its changes cannot be listed by time")
    store, live = ctx.info(det.store).table(), ctx.info(det.live).table()
    vname, tname = det.version_col or "version", det.time_col
    tz = ctx.config.timezone
    rows = ctx.conn.execute(
        select(store).where(window(store.c[tname], query, tz, ctx.conn.dialect.name))
        .order_by(store.c[tname].desc(), store.c[vname].desc()).limit(query.limit)).mappings().all()
    if not rows:
        return []
    keycols = list(det.key)
    following = {(*(r[k] for k in keycols), r[vname] + 1) for r in rows if r[vname] is not None}
    nxt = {tuple(r[k] for k in [*keycols, vname]): r for r in ctx.conn.execute(
        select(store).where(tuple_(*[store.c[k] for k in keycols], store.c[vname]).in_(list(following)))).mappings()}
    keys = {tuple(r[k] for k in keycols) for r in rows}
    lives = {tuple(r[k] for k in keycols): r for r in ctx.conn.execute(
        select(live).where(tuple_(*[live.c[k] for k in keycols]).in_(list(keys)))).mappings()}
    columns = [c for c in store.columns.keys() if c not in skip and c not in ctx.config.unrecorded]
    out: list[RowChange] = []
    for r in rows:
        key = tuple(r[k] for k in keycols)
        new = nxt.get((*key, r[vname] + 1)) if r[vname] is not None else None
        current = lives.get(key)
        note = None
        if new is None and current is not None:
            new = current
            if current.get(vname) != r[vname] + 1:
                note = f"the live row is version {current.get(vname)}: a write bypassed history"
        actor, reason, meta_note = meta(r) if meta else (None, None, None)
        op = Op.DELETE if new is None else Op.UPDATE
        out.append(RowChange(det.live, RowKey(tuple(zip(keycols, key, strict=True))), op, as_utc(r[tname], tz),
                             actor, reason, _diff(r, new, columns), note=note or meta_note))
    return out


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
            op, changes = Op.INSERT, _diff(None, new, columns)
        elif is_delete:
            op, changes = Op.DELETE, ()
        else:
            op, changes = Op.UPDATE, _diff(old, new, columns)
        out.append(RowChange(det.live, RowKey(tuple(zip(keycols, key_values, strict=True))), op,
                             as_utc(r["changed"]), _str(user.get("user_id")), _str(extra.get("rationale")), changes))
    return out


def potion_events(ctx: ReadContext, det: Detection, query: EventQuery,
                  decode: Callable[[Mapping[Any, Any]], tuple[dict[str, tuple[Any, Any]], list[str]]],
                  ) -> list[RowChange]:
    """Flask-Potion: each history_record is one PATCH with its own old/new values."""
    if query.group is not None:
        return []
    store = ctx.info(det.store).table()
    tz = ctx.config.timezone
    rows = ctx.conn.execute(
        select(store).where(store.c.object_type == det.live.name,
                            window(store.c.updated_at, query, tz, ctx.conn.dialect.name))
        .order_by(store.c.updated_at.desc(), store.c.id.desc()).limit(query.limit)).mappings().all()
    out: list[RowChange] = []
    for r in rows:
        changes, unknown = decode(r)
        note = f"attributes with no matching column: {', '.join(unknown)}" if unknown else None
        out.append(RowChange(det.live, RowKey(((det.key[0], r["object_id"]),)), Op.UPDATE,
                             as_utc(r["updated_at"], tz),
                             changes=tuple(FieldChange(c, o, n) for c, (o, n) in changes.items()), note=note))
    return out


def _str(value: Any) -> str | None:
    return None if value is None else str(value)
