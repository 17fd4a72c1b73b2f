"""Change listing for every declared shape: the keys with a history row in the window, each read as a
timeline, and the recorded changes of those timelines that fall in the window (newest first)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, func, select

from chrono_cli.config import Shape
from chrono_cli.conventions.base import Detection, EventQuery, ReadContext
from chrono_cli.conventions.diffs import field_changes
from chrono_cli.conventions.shapes.common import Declared, as_json, declared, key_matches
from chrono_cli.conventions.shapes.window import window
from chrono_cli.conventions.types import is_json
from chrono_cli.errors import UnsupportedOperation
from chrono_cli.model import Op, RowChange, RowKey, TableRef, Version

Reader = Callable[[ReadContext, Detection, RowKey], list[Version]]
ReadMany = Callable[[list[RowKey]], Mapping[RowKey, list[Version]]]
CHUNK = 1000  # keys read at a time by a ``ReadMany``


def declared_events(ctx: ReadContext, det: Detection, query: EventQuery, read: Reader,
                    dec: Declared | None = None, read_many: ReadMany | None = None) -> list[RowChange]:
    """The recorded changes in the query's window, newest first (at most ``query.limit``). ``dec``: the layout
    when ``det`` does not carry one (a built-in convention read through a shape); ``read_many``: the timelines of
    many keys at once (``CHUNK`` at a time), where the store answers that in a query rather than one per key."""
    if query.group is not None:
        return []
    dec = dec or declared(det)
    store = ctx.info(det.store).table()
    times = _times(dec, store)
    if not times:
        raise UnsupportedOperation(f"{det.live}: the declared {dec.layout.shape} layout names no time column "
                                   "(changed, valid_from or period), so its changes cannot be listed by time")
    row_key = dec.role("row_key")
    key_cols = [row_key] if row_key else list(dec.key)
    mine = store_filter(ctx, det, dec)
    rows: list[Any] = []
    for when in times:  # a period table: a change starts one period and ends another
        query_rows = select(*[store.c[c] for c in key_cols]).where(
            window(when, query, ctx.config.timezone, ctx.conn.dialect.name))
        if mine is not None:
            query_rows = query_rows.where(mine)
        rows += ctx.conn.execute(query_rows.order_by(when.desc()).limit(query.limit)).all()
    if dec.layout.shape is Shape.PERIOD and not row_key:  # rows inserted or updated last: only the base knows them
        live = ctx.info(det.live).table()
        start = _times(dec, live)[:1] if all(c in live.c for c in dec.layout.roles.values()) else []
        for when in start:
            rows += ctx.conn.execute(select(*[live.c[c] for c in det.key]).where(
                window(when, query, ctx.config.timezone, ctx.conn.dialect.name)).order_by(when.desc())
                .limit(query.limit)).all()
    keys: dict[RowKey, None] = {}
    for r in rows:
        key = key_of(ctx, det, r[0], dec) if dec.role("row_key") else RowKey(tuple(zip(det.key, r, strict=True)))
        if key is not None:
            keys[key] = None
    reader = (lambda key: read(ctx, det, key)) if read_many is None else in_chunks(list(keys), read_many)
    return timeline_changes(ctx, det.live, keys, query, reader)


def in_chunks(keys: list[RowKey], read_many: ReadMany) -> Callable[[RowKey], list[Version]]:
    """A reader of ``keys``' timelines, asked in their order: a key not read yet reads the ``CHUNK`` keys from it on
    (only those are held)."""
    at = {k: i for i, k in enumerate(keys)}
    held: dict[RowKey, list[Version]] = {}

    def one(key: RowKey) -> list[Version]:
        if key not in held:
            held.clear()
            held.update(read_many(keys[at[key]:at[key] + CHUNK]))
        return held.pop(key, [])

    return one


def timeline_changes(ctx: ReadContext, live: TableRef, keys: Iterable[RowKey], query: EventQuery,
                     read: Callable[[RowKey], list[Version]],
                     group: Callable[[Version], Any] | None = None) -> list[RowChange]:
    """The recorded changes of ``keys``' timelines (``read``) that fall in the query's window, newest first;
    ``group``: the change set a version belongs to, where the store records one (``query.group`` keeps it)."""
    columns = list(ctx.info(live).columns)
    out: list[RowChange] = []
    for key in dict.fromkeys(keys):
        prev: Version | None = None
        for v in read(key):
            if v.op is not Op.UNKNOWN and _inside(v.valid_from, query):
                changes = () if v.op is Op.DELETE else field_changes(
                    None if v.op is Op.INSERT or prev is None else prev.values, v.values, columns)
                out.append(RowChange(live, key, v.op, v.valid_from, v.actor, v.reason, changes,
                                     group=None if group is None else group(v), note=v.note))
            prev = v
    if query.group is not None:
        out = [c for c in out if c.group == query.group]
    out.sort(key=lambda c: c.at or datetime.min, reverse=True)
    return out[:query.limit]


def _times(dec: Any, store: Any) -> list[Any]:
    """The history's time expressions a change can be found by."""
    if dec.role("period"):
        column = store.c[dec.role("period")]
        return [func.lower(column, type_=DateTime(timezone=True)), func.upper(column, type_=DateTime(timezone=True))]
    when = dec.role("changed") or dec.role("valid_from")
    if when is None:
        return []
    out = [store.c[when]]
    if dec.layout.shape is Shape.PERIOD and dec.role("valid_to"):
        out.append(store.c[dec.role("valid_to")])
    return out


def _inside(at: datetime | None, query: EventQuery) -> bool:
    if at is None:
        return False
    return ((query.since is None or at >= query.since) and (query.until is None or at <= query.until)
            and (query.before is None or at < query.before))


def store_filter(ctx: ReadContext, det: Detection, dec: Declared | None = None) -> Any:
    """A shared log's rows of this table (None: the whole history table belongs to it)."""
    dec = dec or declared(det)
    column = dec.role("table")
    if column is None:
        return None
    store = ctx.info(det.store).table()
    return store.c[column] == (dec.layout.table_value or det.live.name)


def key_of(ctx: ReadContext, det: Detection, raw: Any, dec: Declared | None = None) -> RowKey | None:
    """A stored row key as the base table's key (None when it does not name one)."""
    from chrono_cli.conventions.decode import Undecodable, decode

    columns = ctx.info(det.live).columns
    value = as_json(raw) if isinstance(raw, str) and raw[:1] in "{[" or is_json(
        ctx.info(det.store).columns[(dec or declared(det)).role("row_key") or ""].type) else raw
    if isinstance(value, dict):
        if not all(k in value for k in det.key):
            return None
        parts = [value[k] for k in det.key]
    elif isinstance(value, list):
        parts = list(value)
    elif len(det.key) == 1:
        parts = [value]
    else:
        parts = str(value).split(",")
    if len(parts) != len(det.key):
        return None
    try:
        items = tuple((k, decode(p, columns[k].type, ctx.config.timezone)) for k, p in zip(det.key, parts, strict=True))
    except Undecodable:
        return None
    key = RowKey(items)
    return key if key_matches(raw, key) else None
