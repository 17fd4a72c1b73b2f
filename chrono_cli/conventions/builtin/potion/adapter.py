"""Flask-Potion's HistoryMixin recipe: ``history_record`` rows holding ``{attribute, old, new}`` diffs."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy import types as sqltypes

from chrono_cli.conventions.base import ConventionAdapter, Degradation, Detection, EventQuery, ReadContext
from chrono_cli.conventions.builtin.potion.events import potion_events
from chrono_cli.conventions.decode import Undecodable, decode, normalise_name
from chrono_cli.conventions.rows import as_utc, fetch_live
from chrono_cli.conventions.shapes.json_diff import Change, diff_states
from chrono_cli.conventions.types import col_is, is_integer, is_json, is_text, is_timestamp
from chrono_cli.db.reflect import ColumnInfo, SchemaSnapshot, TableInfo
from chrono_cli.errors import DamagedHistory
from chrono_cli.model import Op, RowChange, RowKey, Version

STORE = "history_record"
_MISSING = object()


def _is_store(t: TableInfo) -> bool:
    return (t.has("object_type", "object_id", "updated_at", "changes")
            and col_is(t, "object_type", is_text) and col_is(t, "object_id", is_integer)
            and col_is(t, "updated_at", is_timestamp) and col_is(t, "changes", lambda x: is_json(x) or is_text(x)))


def decode_potion(value: Any, column: ColumnInfo, tz_name: str | None) -> Any:
    """A Potion field's output format back to a column value (``$date`` ms, ``$ref`` URIs)."""
    if isinstance(value, dict) and "$date" in value:
        instant = datetime.fromtimestamp(value["$date"] / 1000, tz=UTC)
        if isinstance(column.type, sqltypes.DateTime):
            return decode(instant.isoformat(), column.type, tz_name)
        return instant.date()
    if isinstance(value, dict) and "$ref" in value:
        return decode(str(value["$ref"]).rstrip("/").rsplit("/", 1)[-1], column.type, tz_name)
    return decode(value, column.type, tz_name)


class PotionAdapter(ConventionAdapter):
    """Flask-Potion HistoryMixin: diffs only; earlier states are rebuilt backwards from the live row."""

    name = "potion"
    title = "Flask-Potion history_record"
    singleton_stores = (STORE,)
    table_column = "object_type"

    def detect(self, snapshot: SchemaSnapshot) -> Iterator[Detection]:
        for store in snapshot:
            if store.ref.name != STORE or not _is_store(store):
                continue
            for base in snapshot:
                if base is store or not base.pk:
                    continue
                fits = len(base.pk) == 1 and col_is(base, base.pk[0], is_integer)
                degraded = () if fits else (
                    Degradation(f"the primary key of {base.ref.name} is not one integer column (object_id)"),)
                yield Detection(self.name, base.ref, store.ref, base.pk, time_col="updated_at", score=3,
                                confirm=True, degraded=degraded,
                                evidence=(f"{store.ref} has object_type, object_id integer, updated_at "
                                          "timestamp, changes JSON",
                                          f"{base.ref.name} has a single integer primary key" if fits
                                          else f"{base.ref.name} has a primary key of its own",
                                          f"{store.ref} holds rows with object_type = '{base.ref.name}'"))

    def versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        """States rebuilt forwards by the diff-log engine: a record that does not chain with the state before it
        shows an explicit unrecorded change, and nothing is carried across it (Potion records only PATCHes)."""
        store = ctx.info(det.store).table()
        (_, object_id), = key.items
        records = ctx.conn.execute(
            select(store).where(store.c.object_type == det.live.name, store.c.object_id == object_id)
            .order_by(store.c.updated_at, store.c.id)).mappings().all()
        return self.versions_of(ctx, det, key, records, fetch_live(ctx.conn, ctx.info(det.live).table(), key))

    def versions_of(self, ctx: ReadContext, det: Detection, key: RowKey, records: Sequence[Mapping[Any, Any]],
                    live: Mapping[str, Any] | None) -> list[Version]:
        """The versions of a record's history_records (all of them, oldest first, read by the caller) and live
        row."""
        live_info = ctx.info(det.live)
        tz = ctx.config.timezone
        skip = set(ctx.config.unrecorded)
        changes = [self.change(rec, live_info.columns, tz, skip) for rec in records]
        shown = [c for c in live_info.columns if c not in skip]
        return diff_states(changes, None if live is None else dict(live), shown,
                           tuple(c for c in live_info.columns if c in skip), dict(key.as_dict()))

    def versions_page(self, ctx: ReadContext, det: Detection, key: RowKey, before: int | None,
                      size: int) -> list[Version] | None:
        """A window of the record's history_records, positioned by the gaps the server finds in the older ones
        (builtin/potion/page.py); None where the store cannot be so compared (not PostgreSQL or SQLite)."""
        from chrono_cli.conventions.builtin.potion.page import page

        return page(self, ctx, det, key, before, size)

    def change(self, rec: Mapping[Any, Any], columns: Mapping[str, ColumnInfo], tz: str | None,
               skip: set[str]) -> Change:
        """One history_record as a recorded change (an UPDATE: Potion records only PATCHes)."""
        diff, unknown = self._changes(rec, columns, tz)
        notes = ["no-op update recorded (changes = [])"] if not diff and not unknown else []
        if unknown:
            notes.append(f"changed attributes with no matching column: {', '.join(unknown)}")
        return Change({c: o for c, (o, _) in diff.items() if c not in skip},
                      {c: n for c, (_, n) in diff.items() if c not in skip}, Op.UPDATE,
                      as_utc(rec["updated_at"], tz), rec["id"], note="; ".join(notes) or None)

    def events(self, ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
        columns = ctx.info(det.live).columns
        return potion_events(ctx, det, query, lambda record: self._changes(record, columns, ctx.config.timezone))

    @staticmethod
    def _changes(record: Mapping[Any, Any], columns: Mapping[str, ColumnInfo],
                 tz: str | None) -> tuple[dict[str, tuple[Any, Any]], list[str]]:
        raw = record["changes"]
        raw = json.loads(raw) if isinstance(raw, str) else raw
        by_norm = {normalise_name(c): c for c in columns}
        out: dict[str, tuple[Any, Any]] = {}
        unknown: list[str] = []
        for item in raw or []:
            attr = item.get("attribute")
            old, new = item.get("old"), item.get("new")
            is_ref = any(isinstance(v, dict) and "$ref" in v for v in (old, new))
            column = (attr if attr in columns else
                      f"{attr}_id" if is_ref and f"{attr}_id" in columns else by_norm.get(normalise_name(str(attr))))
            if column is None:
                unknown.append(str(attr))
                continue
            try:
                out[column] = (decode_potion(old, columns[column], tz), decode_potion(new, columns[column], tz))
            except Undecodable as exc:
                raise DamagedHistory(f"{STORE} id {record['id']}: {exc}") from exc
        return out, unknown
