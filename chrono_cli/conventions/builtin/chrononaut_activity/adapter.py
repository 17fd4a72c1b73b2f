"""Chrononaut 0.3/0.4 (layout B): one ``chrononaut_activity`` table holding each *new* state as JSON."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import String, and_, cast, func, select, tuple_
from sqlalchemy import types as sqltypes
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.config import Layout, Shape
from chrono_cli.conventions.base import ConventionAdapter, Degradation, Detection, EventQuery, ReadContext
from chrono_cli.conventions.checkspec import JSON, CheckSpec, MetaColumn, StoreKind
from chrono_cli.conventions.rows import as_utc, fetch_live
from chrono_cli.conventions.shapes.common import Bypass, Declared, Entry, decode_values, states_after
from chrono_cli.conventions.shapes.events import declared_events
from chrono_cli.conventions.shapes.json_snapshot import log_query, log_rows
from chrono_cli.conventions.shapes.period_page import ROW, ROWS, cut, positioned
from chrono_cli.conventions.types import col_is, is_integer, is_json, is_timestamp
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.model import Op, RowChange, RowKey, Version
from chrono_cli.records import replace

STORE = "chrononaut_activity"
UNRECORDED_DELETE = "deleted without a recorded activity row"
BYPASS = Bypass(differs="live row differs from the newest recorded state", since_last=False)
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
        rows = log_rows(ctx, det, key, layout(det), json_key=True)
        return self._states(ctx, det, rows, fetch_live(ctx.conn, ctx.info(det.live).table(), key))

    def versions_page(self, ctx: ReadContext, det: Detection, key: RowKey, before: int | None,
                      size: int) -> list[Version] | None:
        """Activity row i is state i, and a version-0 row right after another adds the deletion no row recorded
        before it: the server numbers the rows so (``shapes.period_page``), with the row after the page (a
        state's end, and whether it was a deletion, are in the next row). The key is matched by its JSON in SQL,
        which selects exactly the rows ``log_rows`` keeps."""
        if before is not None and before <= 1:
            return []
        query, order = log_query(ctx, det, key, layout(det), json_key=True)
        version = ctx.info(det.store).table().c.version
        recreated = and_(version == 0, func.lag(version).over(order_by=order) == 0)
        rows = positioned(ctx.conn, query, order, recreated, before, size, ahead=1)
        latest = not rows or rows[-1][ROW] == rows[-1][ROWS]
        live = fetch_live(ctx.conn, ctx.info(det.live).table(), key) if latest else None
        return cut(self._states(ctx, det, rows, live, latest=latest), rows, latest, before, size,
                   from_row=lambda v: v.note != UNRECORDED_DELETE)

    def _states(self, ctx: ReadContext, det: Detection, rows: Sequence[Mapping[Any, Any]],
                live: dict[str, Any] | None, *, latest: bool = True) -> list[Version]:
        """The versions of consecutive activity rows (oldest first), then, when they end with the newest
        (``latest``), what ``live`` adds."""
        columns = [c for c in ctx.info(det.live).columns if c != "version"]
        declared = set(ctx.config.unrecorded)
        entries: list[Entry] = []
        for i, row in enumerate(rows):
            nxt = rows[i + 1] if i + 1 < len(rows) else None
            is_delete = (nxt is None and live is None and latest) or (nxt is not None and nxt["version"] == 0)
            values, unrecorded, notes = self._decode(ctx, det, row, columns, declared)
            op = Op.INSERT if row["version"] == 0 else Op.DELETE if is_delete else Op.UPDATE
            entries.append(Entry(values=values, op=op, at=as_utc(row["changed"]), number=row["version"],
                                 unrecorded=unrecorded, note="; ".join(notes) or None, **_actor_reason(row)))
            if row["version"] == 0 and is_delete:  # deleted by something that bypassed Chrononaut: no row says when
                entries.append(Entry(values=None, op=Op.DELETE, at=as_utc(nxt["changed"]) if nxt else None,
                                     note=UNRECORDED_DELETE))
        shown = [c for c in columns if c not in declared]
        out = states_after(entries, live, shown, (), tuple(sorted(declared & set(columns))), bypass=BYPASS,
                           live_number=None if live is None else live.get("version"), equal=operator.eq)
        # an unrecorded deletion stays open-ended: Chrononaut knows neither when it happened nor how long it held
        return [replace(v, valid_to=None) if v.note == UNRECORDED_DELETE and v.values is None else v for v in out]

    def events(self, ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
        def read_many(keys: list[RowKey]) -> dict[RowKey, list[Version]]:
            return {k: versions for k, (versions, _) in self.timelines(ctx, det, keys).items()}

        return declared_events(ctx, det, query, self.versions, layout(det), read_many)

    def timelines(self, ctx: ReadContext, det: Detection, keys: Sequence[RowKey],
                  ) -> dict[RowKey, tuple[list[Version], dict[str, Any] | None]]:
        """The versions and live row of each of ``keys`` that has activity rows: one query for their activity rows
        (matched to the keys as ``log_rows`` matches them: the key's JSON in SQL, then each value's text), one for
        their live rows; for a chunk of keys (``CHUNK``)."""
        store, live, names = ctx.info(det.store).table(), ctx.info(det.live).table(), det.key
        query = (select(store).where(store.c.table_name == det.live.name, keys_condition(ctx, det, keys))
                 .order_by(store.c.changed, store.c.id))
        match = key_matcher(det, keys)
        found: dict[RowKey, list[Any]] = {}
        for row in ctx.conn.execute(query).mappings():
            key = match(row["key"])
            if key is not None:
                found.setdefault(key, []).append(row)
        cols = [live.c[c] for c in names]
        chosen = [tuple(v for _, v in k.items) for k in found]
        where = tuple_(*cols).in_(chosen) if len(cols) > 1 else cols[0].in_([k[0] for k in chosen])
        currents = {tuple(r[c] for c in names): dict(r) for r in ctx.conn.execute(select(live).where(where)).mappings()}
        out = {}
        for key, rows in found.items():
            current = currents.get(tuple(v for _, v in key.items))
            out[key] = (self._states(ctx, det, rows, current), current)
        return out

    @staticmethod
    def _decode(ctx: ReadContext, det: Detection, row: Mapping[Any, Any], columns: list[str],
                declared: set[str]) -> tuple[dict[str, Any], tuple[str, ...], list[str]]:
        """A row's values (attribute names matched loosely, ``version`` not a value), its unrecorded columns and
        its notes (hidden columns Chrononaut saw change, stored keys naming no column)."""
        values, unknown = _values(ctx, det, _json(row["data"]) or {}, columns, declared)
        notes = []
        extra = _json(row["extra_info"]) or {}
        hidden = extra.get("hidden_cols_changed") if isinstance(extra, dict) else None
        if hidden:
            notes.append(f"hidden columns changed: {', '.join(map(str, hidden))}")
        if unknown:
            notes.append(f"stored keys with no matching column: {', '.join(unknown)}")
        return values, tuple(c for c in columns if c not in values), notes


def keys_condition(ctx: ReadContext, det: Detection, keys: Sequence[RowKey]) -> ColumnElement[bool]:
    """The activity rows of ``keys``: each key's JSON in SQL, as ``log_rows`` narrows one key (jsonb equality on
    PostgreSQL, the JSON text elsewhere); ``key_matcher`` then checks each row as ``log_rows`` does."""
    store = ctx.info(det.store).table()
    docs = [json.dumps(k.as_dict(), default=str) for k in keys]
    if ctx.conn.dialect.name == "postgresql":
        return store.c.key.in_([json.loads(d) for d in docs])
    return cast(store.c.key, String).in_(docs)


def key_matcher(det: Detection, keys: Sequence[RowKey]) -> Callable[[Any], RowKey | None]:
    """Which of ``keys`` a stored ``key`` names (by the text of each value, as ``key_matches``); None: none."""
    by_text = {tuple(str(v) for _, v in k.items): k for k in keys}

    def match(raw: Any) -> RowKey | None:
        doc = _json(raw)
        if not isinstance(doc, dict) or not all(c in doc for c in det.key):
            return None
        return by_text.get(tuple(str(doc[c]) for c in det.key))

    return match


def layout(det: Detection) -> Declared:
    """The activity table as a json-snapshot layout: this table's rows by ``table_name``, the key as JSON."""
    roles = {"table": "table_name", "row_key": "key", "data": "data", "changed": "changed", "version": "version"}
    return Declared(Layout(Shape.JSON_SNAPSHOT, roles, det.key), STORE, det.key, sort=("changed", "id"))


def _values(ctx: ReadContext, det: Detection, data: Mapping[str, Any], columns: list[str],
            declared: set[str]) -> tuple[dict[str, Any], list[str]]:
    """Stored attributes as column values (in column order) and the keys that name no column."""
    values, unknown = decode_values(ctx, det, data, loose_names=True, keep_unknown=False, strict=True)
    return ({c: values[c] for c in columns if c in values and c not in declared},
            [u for u in unknown if u != "version"])


def _actor_reason(row: Mapping[Any, Any]) -> dict[str, Any]:
    """``user_info.user_id`` is who, ``extra_info.rationale`` why."""
    user, extra = _json(row["user_info"]) or {}, _json(row["extra_info"]) or {}
    actor = user.get("user_id") if isinstance(user, dict) else None
    reason = extra.get("rationale") if isinstance(extra, dict) else None
    return {"actor": None if actor is None else str(actor), "reason": None if reason is None else str(reason)}
