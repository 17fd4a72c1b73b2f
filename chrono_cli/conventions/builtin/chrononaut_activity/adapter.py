"""Chrononaut 0.3/0.4 (layout B): one ``chrononaut_activity`` table holding each *new* state as JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy import types as sqltypes

from chrono_cli.conventions.base import ConventionAdapter, Degradation, Detection, EventQuery, ReadContext
from chrono_cli.conventions.builtin.chrononaut_activity.events import activity_events
from chrono_cli.conventions.checkspec import JSON, CheckSpec, MetaColumn, StoreKind
from chrono_cli.conventions.decode import Undecodable, decode, normalise_name
from chrono_cli.conventions.rows import as_utc, fetch_live
from chrono_cli.conventions.types import col_is, is_integer, is_json, is_timestamp
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.errors import DamagedHistory
from chrono_cli.model import Op, RowChange, RowKey, Version

STORE = "chrononaut_activity"
COLUMNS = ("id", "table_name", "changed", "version", "key", "data", "user_info", "extra_info")


def _is_store(t: TableInfo) -> bool:
    return (t.ref.name == STORE and set(COLUMNS) <= set(t.columns)
            and col_is(t, "changed", is_timestamp) and col_is(t, "version", is_integer)
            and all(col_is(t, c, is_json) for c in ("key", "data", "user_info", "extra_info")))


CHECK = CheckSpec(
    StoreKind.SHARED,
    store_meta=(MetaColumn("id", sqltypes.Integer(), nullable=False),
                MetaColumn("table_name", sqltypes.Text(), nullable=False, server_default=""),
                MetaColumn("changed", sqltypes.DateTime(timezone=True), nullable=False),
                MetaColumn("version", sqltypes.Integer(), nullable=False, exact=True),
                *(MetaColumn(n, JSON, nullable=False, server_default="{}")
                  for n in ("key", "data", "user_info", "extra_info"))),
    base_meta=(MetaColumn("version", sqltypes.Integer(), exact=True),),
    lone_store=lambda t: t.ref.name == STORE)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class ChrononautActivityAdapter(ConventionAdapter):
    """Chrononaut 0.3-0.4: each activity row is the state after a change, keyed by table_name and key."""

    name = "chrononaut-activity"
    title = "Chrononaut 0.4 (chrononaut_activity)"
    singleton_stores = (STORE,)
    table_column = "table_name"
    check = CHECK

    def detect(self, snapshot: SchemaSnapshot) -> Iterator[Detection]:
        for store in snapshot:
            if not _is_store(store):
                continue
            for base in snapshot:
                if base is store or not base.pk:
                    continue
                versioned = col_is(base, "version", is_integer)
                degraded = () if versioned else (
                    Degradation(f"{base.ref.name} has no integer version column (Chrononaut numbers versions "
                                "with it)"),)
                yield Detection(self.name, base.ref, store.ref, base.pk, version_col="version",
                                time_col="changed", score=3, confirm=True, degraded=degraded,
                                evidence=(f"{store.ref} has Chrononaut's activity columns ({', '.join(COLUMNS)})",
                                          f"{base.ref.name}.version integer" if versioned
                                          else f"{base.ref.name} has no version column",
                                          f"{store.ref} holds rows with table_name = '{base.ref.name}'"))

    def versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        store = ctx.info(det.store).table()
        live_info = ctx.info(det.live)
        key_json = json.dumps(key.as_dict(), default=str)
        if ctx.conn.dialect.name == "postgresql":  # jsonb equality: type-sensitive, uses the (key, table_name) index
            match = store.c.key == json.loads(key_json)
        else:
            match = cast(store.c.key, String) == key_json
        rows = ctx.conn.execute(
            select(store).where(store.c.table_name == det.live.name, match)
            .order_by(store.c.changed, store.c.id)).mappings().all()
        live = fetch_live(ctx.conn, live_info.table(), key)
        columns = {c: info for c, info in live_info.columns.items() if c != "version"}
        declared = set(ctx.config.unrecorded)
        out: list[Version] = []
        for i, row in enumerate(rows):
            nxt = rows[i + 1] if i + 1 < len(rows) else None
            is_delete = (nxt is None and live is None) or (nxt is not None and nxt["version"] == 0)
            user, extra = _json(row["user_info"]) or {}, _json(row["extra_info"]) or {}
            hidden = extra.get("hidden_cols_changed") if isinstance(extra, dict) else None
            values, unrecorded, unknown = self._decode(_json(row["data"]) or {}, columns, ctx, declared)
            notes = []
            if hidden:
                notes.append(f"hidden columns changed: {', '.join(map(str, hidden))}")
            if unknown:
                notes.append(f"stored keys with no matching column: {', '.join(unknown)}")
            valid_to = as_utc(nxt["changed"]) if nxt else None
            if row["version"] == 0:
                out.append(self._entry(row, values, unrecorded, Op.INSERT, valid_to, user, extra, notes))
                if is_delete:  # deleted by something that bypassed Chrononaut: no row says when
                    out.append(Version(values=None, op=Op.DELETE, valid_from=valid_to,
                                       note="deleted without a recorded activity row"))
            elif is_delete:
                out.append(self._entry(row, None, (), Op.DELETE, valid_to, user, extra, notes))
            else:
                out.append(self._entry(row, values, unrecorded, Op.UPDATE, valid_to, user, extra, notes))
        if live is not None:
            current = {c: live[c] for c in columns if c not in declared}
            last = out[-1] if out else None
            if last is not None and last.values is not None and self._same(last.values, current):
                out[-1] = _replace_current(last)
            else:
                note = "no history recorded" if last is None else "live row differs from the newest recorded state"
                out.append(Version(values=current, op=Op.UNKNOWN, number=live.get("version"),
                                   valid_from=None, unrecorded=tuple(sorted(declared & set(columns))),
                                   current=True, note=note))
        return out

    def events(self, ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
        columns = {c: info for c, info in ctx.info(det.live).columns.items() if c != "version"}
        declared = set(ctx.config.unrecorded)
        return activity_events(ctx, det, query, lambda data: self._decode(data, columns, ctx, declared)[0])

    @staticmethod
    def _entry(row: Mapping[Any, Any], values: dict[str, Any] | None, unrecorded: tuple[str, ...], op: Op,
               valid_to: Any, user: Any, extra: Any, notes: list[str]) -> Version:
        actor = user.get("user_id") if isinstance(user, dict) else None
        reason = extra.get("rationale") if isinstance(extra, dict) else None
        return Version(values=values, op=op, number=row["version"], valid_from=as_utc(row["changed"]),
                       valid_to=valid_to, actor=None if actor is None else str(actor),
                       reason=None if reason is None else str(reason), unrecorded=unrecorded,
                       note="; ".join(notes) or None)

    @staticmethod
    def _decode(data: Mapping[str, Any], columns: Mapping[str, Any], ctx: ReadContext,
                declared: set[str]) -> tuple[dict[str, Any], tuple[str, ...], list[str]]:
        by_norm = {normalise_name(c): c for c in columns}
        values: dict[str, Any] = {}
        unknown: list[str] = []
        for attr, raw in data.items():
            if attr == "version":
                continue
            column = attr if attr in columns else by_norm.get(normalise_name(attr))
            if column is None:
                unknown.append(attr)
                continue
            try:
                values[column] = decode(raw, columns[column].type, ctx.config.timezone)
            except Undecodable as exc:
                raise DamagedHistory(f"{STORE}: {exc} (column {column})") from exc
        for c in declared:
            values.pop(c, None)
        unrecorded = tuple(c for c in columns if c not in values)
        return {c: values[c] for c in columns if c in values}, unrecorded, unknown

    @staticmethod
    def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
        return all(a[k] == b.get(k) for k in a)


def _replace_current(v: Version) -> Version:
    from dataclasses import replace

    return replace(v, current=True)
