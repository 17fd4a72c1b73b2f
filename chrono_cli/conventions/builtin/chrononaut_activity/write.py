"""Chrononaut 0.3/0.4 (layout B): UPDATE the live row with version + 1, INSERT the *new* state as an activity row.

The activity row is what Chrononaut's ``after_flush`` writes: ``table_name``, ``changed`` = now (UTC), ``version``,
``key`` = {pk: value}, ``data`` = the new state of every tracked, non-hidden attribute encoded like Chrononaut's
encoder (naive datetimes as UTC ``...+00:00``, Decimal/date/UUID as str, Enum as ``Class.MEMBER``, JSON values as
Python repr) plus ``"version": n``, ``user_info`` = {"user_id", "remote_addr": null} and ``extra_info`` =
{"rationale"}. Attribute names and the enum class prefix are copied from existing activity rows of the table.
Delete: version + 1 and an activity row holding the last state (Chrononaut writes no delete marker), then DELETE the
live row. Undelete: INSERT the live row with version 0 and an activity row with version 0 (Chrononaut forces 0 on
every insert, which also marks the re-insert).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import String, and_, cast, delete, insert, select, update
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.decode import normalise_name
from chrono_cli.conventions.rows import fetch_live, key_where, zone
from chrono_cli.conventions.writes.base import Step, WriteContext, Writer, WriteSet
from chrono_cli.conventions.writes.values import stamp
from chrono_cli.db.reflect import ColumnInfo
from chrono_cli.errors import Refused
from chrono_cli.model import FieldChange, Op, RowKey, Timeline

_ENUM_TEXT = re.compile(r"^([A-Za-z_][\w]*)\.(\w+)$")
SCAN = 50  # activity rows read to learn attribute names and enum prefixes


def key_document(key: RowKey) -> dict[str, Any]:
    """The ``key`` column value: {pk attribute: raw value} (JSON-native; others as text)."""
    return {k: v if isinstance(v, bool | int | float | str) or v is None else str(v) for k, v in key.items}


class ChrononautActivityWriter(Writer):
    """Chrononaut layout B (``chrononaut_activity``)."""


    def store_where(self, ctx: WriteContext, key: RowKey) -> ColumnElement[bool]:
        store = ctx.store
        text = json.dumps(key_document(key))
        if ctx.conn.dialect.name == "postgresql":
            match = store.c.key == cast(text, store.c.key.type)
        else:
            match = cast(store.c.key, String) == text
        return and_(store.c.table_name == ctx.det.live.name, match)

    def update(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any], new: Mapping[str, Any],
               changes: Sequence[FieldChange], timeline: Timeline | None) -> WriteSet:
        self._check_recorded(ctx, key, timeline)
        attrs = self._attributes(ctx, key)
        tracked = [c.column for c in changes if c.column in attrs.values()]
        hidden = [c.column for c in changes if c.column in ctx.config.hidden]
        vcol = ctx.det.version_col or "version"
        values = {c.column: new[c.column] for c in changes}
        out = WriteSet()
        if not tracked and not hidden:
            out.notes.append(f"{', '.join(values)} not tracked by Chrononaut: no activity row, version unchanged")
            out.steps.append(Step(update(ctx.live).where(key_where(ctx.live, key)).values(values), "live row",
                                  expect=1))
            return out
        old = current.get(vcol)
        number = (old or 0) + 1
        guard = ctx.live.c[vcol].is_(None) if old is None else ctx.live.c[vcol] == old
        out.steps.append(Step(update(ctx.live).where(and_(key_where(ctx.live, key), guard))
                              .values({**values, vcol: number}), f"live row, version {old} -> {number}", expect=1))
        state = {**current, **new}
        out.steps.append(Step(insert(ctx.store_info.insert_table()).values(
            self._activity(ctx, key, state, attrs, number, hidden)), f"activity row: the new state, version {number}"))
        return out

    def insert(self, ctx: WriteContext, key: RowKey, new: Mapping[str, Any], timeline: Timeline) -> WriteSet:
        vcol = ctx.det.version_col or "version"
        attrs = self._attributes(ctx, key)
        out = WriteSet([Step(insert(ctx.live_info.insert_table()).values({**new, vcol: 0}),
                             "live row re-created with version 0 (as Chrononaut does on every insert)")])
        unknown = [c for c in attrs.values() if c not in new]
        if unknown:
            out.notes.append(f"{', '.join(unknown)} not recorded: encoded as null in the activity row")
        out.steps.append(Step(insert(ctx.store_info.insert_table()).values(
            self._activity(ctx, key, dict(new), attrs, 0, [])), "activity row: the re-created state, version 0"))
        return out

    def delete(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any],
               timeline: Timeline | None) -> WriteSet:
        self._check_recorded(ctx, key, timeline)
        vcol = ctx.det.version_col or "version"
        attrs = self._attributes(ctx, key)
        old = current.get(vcol)
        number = (old or 0) + 1
        guard = ctx.live.c[vcol].is_(None) if old is None else ctx.live.c[vcol] == old
        return WriteSet([
            Step(insert(ctx.store_info.insert_table()).values(self._activity(ctx, key, current, attrs, number, [])),
                 f"activity row: the last state, version {number} (the deletion)"),
            Step(delete(ctx.live).where(and_(key_where(ctx.live, key), guard)), "live row deleted", expect=1)])

    def deleted_keys(self, ctx: WriteContext, limit: int | None = None) -> list[RowKey]:
        store, names = ctx.store, ctx.det.key
        docs = ctx.conn.execute(select(store.c.key).where(store.c.table_name == ctx.det.live.name).distinct())
        keys: list[RowKey] = []
        for (doc,) in docs:
            doc = json.loads(doc) if isinstance(doc, str) else doc
            if not isinstance(doc, dict) or set(doc) != set(names):
                continue
            key = RowKey(tuple((c, doc[c]) for c in names))
            if fetch_live(ctx.conn, ctx.live, key) is None:
                keys.append(key)
        keys.sort(key=lambda k: tuple(str(v) for _, v in k.items))
        return keys[:limit] if limit is not None else keys

    def _check_recorded(self, ctx: WriteContext, key: RowKey, timeline: Timeline | None) -> None:
        if timeline is not None and timeline.versions and timeline.versions[-1].op is Op.UNKNOWN:
            raise Refused(f"{ctx.det.live} {key}: the live row differs from its newest activity row (a write "
                          "bypassed Chrononaut), so its current state is not in the history",
                          hint="record the current state with the application first")

    def _attributes(self, ctx: WriteContext, key: RowKey) -> dict[str, str]:
        """{data attribute: live column}, from the newest activity row of the key (else of the table)."""
        store = ctx.store
        newest = (store.c.changed.desc(), store.c.id.desc())
        data = ctx.conn.execute(select(store.c.data).where(self.store_where(ctx, key)).order_by(*newest)
                                .limit(1)).scalar()
        return attributes(ctx, table_data(ctx) if data is None else data)

    def _activity(self, ctx: WriteContext, key: RowKey, state: Mapping[str, Any], attrs: Mapping[str, str],
                  number: int, hidden: Sequence[str]) -> dict[str, Any]:
        return activity_row(ctx, key, state, attrs, number, hidden, enum_prefixes(ctx, attrs))


def table_data(ctx: WriteContext) -> Any:
    """The ``data`` of the table's newest activity row (None: it has none)."""
    store = ctx.store
    return ctx.conn.execute(select(store.c.data).where(store.c.table_name == ctx.det.live.name)
                            .order_by(store.c.changed.desc(), store.c.id.desc()).limit(1)).scalar()


def attributes(ctx: WriteContext, data: Any) -> dict[str, str]:
    """{data attribute: live column} for the attributes of an activity row's ``data`` (matched loosely, as the
    reader matches them); every recorded column under its own name when there is no such row."""
    data = json.loads(data) if isinstance(data, str) else data
    columns = [c for c in ctx.live_info.columns if c != ctx.det.version_col]  # the version is bookkeeping
    if not isinstance(data, dict):
        return {c: c for c in columns if c not in ctx.config.unrecorded}
    by_norm = {normalise_name(c): c for c in columns}
    out: dict[str, str] = {}
    for attr in data:
        column = attr if attr in columns else by_norm.get(normalise_name(attr))
        if attr != "version" and column is not None and column not in ctx.config.unrecorded:
            out[attr] = column
    return out


def activity_row(ctx: WriteContext, key: RowKey, state: Mapping[str, Any], attrs: Mapping[str, str], number: int,
                 hidden: Sequence[str], prefixes: Mapping[str, str]) -> dict[str, Any]:
    """The activity row Chrononaut's ``after_flush`` writes for ``state`` (``prefixes``: ``enum_prefixes``)."""
    tz = ctx.config.timezone
    jsonb = ctx.conn.dialect.name == "postgresql"
    data: dict[str, Any] = {}
    for attr, column in attrs.items():
        info = ctx.live_info.columns[column]
        data[attr] = encode(state.get(column), info, tz, prefixes.get(column), jsonb=jsonb)
    data["version"] = number
    extra: dict[str, Any] = {}
    if ctx.meta.reason:
        extra["rationale"] = ctx.meta.reason
    if hidden:
        extra["hidden_cols_changed"] = list(hidden)
    return {"table_name": ctx.det.live.name, "changed": stamp(ctx.now, ctx.store_info.columns["changed"].type),
            "version": number, "key": key_document(key), "data": data,
            "user_info": {"user_id": ctx.meta.actor, "remote_addr": None}, "extra_info": extra}


def enum_prefixes(ctx: WriteContext, attrs: Mapping[str, str]) -> dict[str, str]:
    """The Python Enum class name existing rows put before member names (``Role.ADMIN``)."""
    enums = {a: c for a, c in attrs.items() if isinstance(ctx.live_info.columns[c].type, sqltypes.Enum)}
    if not enums:
        return {}
    store = ctx.store
    rows = ctx.conn.execute(select(store.c.data).where(store.c.table_name == ctx.det.live.name)
                            .order_by(store.c.id.desc()).limit(SCAN)).scalars()
    out: dict[str, str] = {}
    for data in rows:
        data = json.loads(data) if isinstance(data, str) else data
        for attr, column in enums.items():
            value = data.get(attr) if isinstance(data, dict) else None
            m = _ENUM_TEXT.match(value) if isinstance(value, str) else None
            members = ctx.live_info.columns[column].type.enums  # type: ignore[attr-defined]
            if m and column not in out and (not members or m.group(2) in members):
                out[column] = m.group(1)
    return out


def encode(value: Any, column: ColumnInfo, tz_name: str | None, prefix: str | None, *, jsonb: bool) -> Any:
    """One value as Chrononaut's snapshot encoder writes it (the new state, as read back from the database)."""
    if value is None:
        return None
    t = column.type
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=zone(tz_name))
        return aware.astimezone(UTC).replace(tzinfo=None).isoformat() + "+00:00"
    if isinstance(value, str) and prefix:
        return f"{prefix}.{value}"
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        scale = getattr(t, "scale", None)
        return str(value.quantize(Decimal(1).scaleb(-scale)) if scale is not None else value)
    if isinstance(value, bytes | bytearray | memoryview):
        return str(bytes(value))
    if isinstance(value, dict | list) and jsonb and isinstance(t, postgresql.JSONB):
        value = jsonb_order(value)
    return str(value)


def jsonb_order(value: Any) -> Any:
    """Object keys in the order PostgreSQL's jsonb keeps them (shorter keys first, then bytewise)."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (len(k.encode()), k.encode()))
        return {k: jsonb_order(value[k]) for k in keys}
    if isinstance(value, list):
        return [jsonb_order(v) for v in value]
    return value
