"""JSON-snapshot shape: a log (often shared by many tables) whose rows hold the whole row as JSON.

``data_means = "after"`` (default): the row a change produced, read like new-state rows; ``"before"``: the row
a change replaced, read like old-state rows. ``table`` (with ``table_value``) picks this table's rows out of a
shared log; ``row_key`` holds the key as text, an integer or a JSON object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, String, cast, select

from chrono_cli.conventions.base import Detection, ReadContext
from chrono_cli.conventions.rows import fetch_live
from chrono_cli.conventions.shapes.common import (
    Declared,
    Entry,
    as_json,
    declared,
    decode_values,
    key_matches,
    live_columns,
    meta,
    operation,
    row_key_filter,
    states_after,
    states_before,
)
from chrono_cli.model import Op, RowKey, Version


def log_rows(ctx: ReadContext, det: Detection, key: RowKey, dec: Declared | None = None, *,
             json_key: bool = False) -> list[Mapping[Any, Any]]:
    """This record's rows of the log, oldest first. ``json_key``: the row key is the JSON object of the key
    columns, matched in SQL (jsonb equality on PostgreSQL, its text as written elsewhere)."""
    dec = dec or declared(det)
    query, order = log_query(ctx, det, key, dec, json_key=json_key)
    rows = ctx.conn.execute(query.order_by(*order)).mappings().all()
    row_key = dec.role("row_key") or ""
    return [r for r in rows if key_matches(r[row_key], key)]


def log_query(ctx: ReadContext, det: Detection, key: RowKey, dec: Declared, *,
              json_key: bool = False) -> tuple[Select[Any], list[Any]]:
    """``log_rows``' statement (before the exact key match on each row) and the columns that order it."""
    store = ctx.info(det.store).table()
    query = select(store)
    if dec.role("table"):
        query = query.where(store.c[dec.role("table") or ""] == (dec.layout.table_value or det.live.name))
    row_key = dec.role("row_key") or ""
    narrowed = _json_key(ctx, store.c[row_key], key) if json_key else row_key_filter(store, row_key, key)
    if narrowed is not None:
        query = query.where(narrowed)
    return query, [store.c[c] for c in dec.order] + list(store.primary_key.columns)


def _json_key(ctx: ReadContext, column: Any, key: RowKey) -> Any:
    text = json.dumps(key.as_dict(), default=str)
    if ctx.conn.dialect.name == "postgresql":  # jsonb equality: type-sensitive, can use an index on the key
        return column == json.loads(text)
    return cast(column, String) == text


def read(ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
    """Every state of ``key`` from its snapshots and the live row."""
    dec = declared(det)
    data = dec.role("data") or ""
    before = dec.layout.data_means == "before"
    tz = ctx.config.timezone
    skip = set(ctx.config.unrecorded)
    entries: list[Entry] = []
    for r in log_rows(ctx, det, key):
        op = operation(dec, r)
        values, unknown = decode_values(ctx, det, as_json(r[data]))
        if op is None and not values:
            op = Op.DELETE if not before else None  # an empty snapshot after a change: nothing is left
        if before and op is Op.INSERT:
            continue  # an insert replaced no state
        kept = {c: v for c, v in values.items() if c not in skip}
        entries.append(Entry(values=kept, op=op, unknown=unknown, **meta(dec, r, tz)))
    live = fetch_live(ctx.conn, ctx.info(det.live).table(), key)
    shown = live_columns(ctx, det)
    declared_out = tuple(c for c in ctx.info(det.live).columns if c in skip)
    if before:
        return states_before(entries, live, shown, declared_out, declared_out)
    return states_after(entries, live, shown, declared_out, declared_out)
