"""Flask-Potion's HistoryMixin recipe: UPDATE the row, INSERT one ``history_record`` with the field diffs.

``changes`` is a list of ``{"attribute", "old", "new"}`` in Potion's output format: datetimes and dates as
``{"$date": ms}`` (whole seconds, naive values read as UTC or the configured zone), foreign keys as
``{"$ref": "/<resource>/<id>"}`` under the relationship's attribute name when existing records of that column
did so (name and URI prefix copied from them), other values as JSON. ``updated_at`` = now (naive).
Potion records nothing on create, so an undelete writes the live row only. No place for actor or reason.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.decode import normalise_name
from chrono_cli.conventions.rows import key_where, zone
from chrono_cli.conventions.types import is_json
from chrono_cli.conventions.writes.base import Step, WriteContext, Writer, WriteSet
from chrono_cli.conventions.writes.values import stamp
from chrono_cli.model import FieldChange, RowKey, Timeline

SCAN = 500  # history records read to learn attribute names and $ref prefixes


class PotionWriter(Writer):
    """Flask-Potion ``history_record``."""


    def store_where(self, ctx: WriteContext, key: RowKey) -> ColumnElement[bool]:
        (_, object_id), = key.items
        return and_(ctx.store.c.object_type == ctx.det.live.name, ctx.store.c.object_id == object_id)

    def update(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any], new: Mapping[str, Any],
               changes: Sequence[FieldChange], timeline: Timeline | None) -> WriteSet:
        values = {c.column: new[c.column] for c in changes}
        out = WriteSet([Step(update(ctx.live).where(key_where(ctx.live, key)).values(values), "live row",
                             expect=1)])
        entries = [(c.column, c.old, new[c.column]) for c in changes]
        out.steps.append(Step(insert(ctx.store_info.insert_table()).values(
            history_record(ctx, key.items[0][1], entries, record_styles(ctx))), "history_record: the changed fields"))
        return out

    def insert(self, ctx: WriteContext, key: RowKey, new: Mapping[str, Any], timeline: Timeline) -> WriteSet:
        out = WriteSet([Step(insert(ctx.live_info.insert_table()).values(dict(new)), "live row re-created")])
        out.notes.append("Potion records nothing on create: no history_record is written for the re-created row")
        return out

    def deleted_keys(self, ctx: WriteContext, limit: int | None = None) -> list[RowKey]:
        store, live = ctx.store, ctx.live
        (name,) = ctx.det.key
        exists = select(live.c[name]).where(live.c[name] == store.c.object_id).exists()
        query = (select(store.c.object_id).where(store.c.object_type == ctx.det.live.name, ~exists)
                 .distinct().order_by(store.c.object_id))
        if limit is not None:
            query = query.limit(limit)
        return [RowKey(((name, v),)) for (v,) in ctx.conn.execute(query)]


def record_styles(ctx: WriteContext) -> dict[str, tuple[str, str | None]]:
    """{column: (attribute name, $ref URI prefix or None)} learnt from existing records of the table."""
    store = ctx.store
    columns = list(ctx.live_info.columns)
    by_norm = {normalise_name(c): c for c in columns}
    rows = ctx.conn.execute(select(store.c.changes).where(store.c.object_type == ctx.det.live.name)
                            .order_by(store.c.id.desc()).limit(SCAN)).scalars()
    out: dict[str, tuple[str, str | None]] = {}
    for raw in rows:
        items = json.loads(raw) if isinstance(raw, str) else raw
        for item in items or []:
            if not isinstance(item, dict):
                continue
            attr = str(item.get("attribute"))
            ref = next((v["$ref"] for v in (item.get("old"), item.get("new"))
                        if isinstance(v, dict) and isinstance(v.get("$ref"), str)), None)
            column = (attr if attr in columns else f"{attr}_id" if ref and f"{attr}_id" in columns
                      else by_norm.get(normalise_name(attr)))
            if column is None or column in out:
                continue
            out[column] = (attr, ref.rstrip("/").rsplit("/", 1)[0] + "/" if ref else None)
    return out


def history_record(ctx: WriteContext, object_id: Any, changes: Sequence[tuple[str, Any, Any]],
                   styles: Mapping[str, tuple[str, str | None]]) -> dict[str, Any]:
    """The ``history_record`` Potion's ``before_update`` writes for ``changes`` ((column, old, new), in order), stamped
    now (``styles``: ``record_styles``)."""
    tz = ctx.config.timezone
    entries = []
    for column, old, new in changes:
        attribute, prefix = styles.get(column, (column, None))
        entries.append({"attribute": attribute, "old": output(old, prefix, tz), "new": output(new, prefix, tz)})
    info = ctx.store_info
    return {"object_type": ctx.det.live.name, "object_id": object_id,
            "updated_at": stamp(ctx.now, info.columns["updated_at"].type, tz),
            "changes": entries if is_json(info.columns["changes"].type) else json.dumps(entries)}


def output(value: Any, ref_prefix: str | None, tz_name: str | None) -> Any:
    """A column value in Potion's output format."""
    if value is None:
        return None
    if ref_prefix is not None:
        return {"$ref": f"{ref_prefix}{value}"}
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=zone(tz_name))
        return {"$date": calendar.timegm(aware.astimezone(UTC).utctimetuple()) * 1000}
    if isinstance(value, date):
        return {"$date": calendar.timegm(value.timetuple()) * 1000}
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool | int | float | str | dict | list):
        return value
    return str(value)
