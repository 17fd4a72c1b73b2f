"""What ``version.reify.save!`` writes (restore) and what re-creating a destroyed record writes (undelete).

Restore: UPDATE of the changed columns with ``updated_at`` = now, then one ``update`` version: ``object`` = the
row before the restore (attributes the store never holds, PaperTrail's ``skip``, left out), ``object_changes`` =
the changes (``updated_at`` included), ``whodunnit`` = ``--actor``, ``created_at`` = the new ``updated_at``.
Delete (a revert of a create): DELETE and a ``destroy`` version.
Undelete: INSERT of the stored attributes (``updated_at`` = now) and one ``create`` version with ``object`` NULL
and ``object_changes`` = ``{attr: [nil, value]}`` for the non-NULL attributes. Documents are written the way the
store already writes them (JSON column, JSON text or Psych YAML, learnt from its newest rows); metadata columns
are the application's: they are left NULL and the plan says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.base import Detection
from chrono_cli.conventions.builtin.paper_trail.adapter import item_types
from chrono_cli.conventions.builtin.paper_trail.versions import (
    metadata_notes,
    one_type,
    skipped_columns,
    store_form,
    version_record,
)
from chrono_cli.conventions.rows import key_where
from chrono_cli.conventions.writes.base import Step, WriteContext, Writer, WriteSet
from chrono_cli.conventions.writes.values import stamp
from chrono_cli.model import FieldChange, RowKey, Timeline


class PaperTrailWriter(Writer):
    """Rails PaperTrail's ``versions`` rows."""

    def bookkeeping(self, det: Detection) -> frozenset[str]:
        """``updated_at``: ActiveRecord stamps every save with the time of the save, a restore too."""
        return frozenset({"updated_at"})

    def store_where(self, ctx: WriteContext, key: RowKey) -> ColumnElement[bool]:
        (_, item_id), = key.items
        types = item_types(ctx.conn, ctx.store, ctx.det.live.name, ctx.config.model)
        return and_(ctx.store.c.item_type.in_(types), ctx.store.c.item_id == item_id)

    def update(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any], new: Mapping[str, Any],
               changes: Sequence[FieldChange], timeline: Timeline | None) -> WriteSet:
        columns = ctx.live_info.columns
        skipped = skipped_columns(ctx)
        values = {c.column: new[c.column] for c in changes}
        diff = {c.column: [c.old, new[c.column]] for c in changes}
        at = ctx.now
        if "updated_at" in columns:
            values["updated_at"] = stamp(ctx.now, columns["updated_at"].type, ctx.config.timezone)
            diff["updated_at"] = [current.get("updated_at"), values["updated_at"]]
            at = values["updated_at"]
        out = WriteSet([Step(update(ctx.live).where(key_where(ctx.live, key)).values(values), "live row", expect=1)])
        before = {c: current[c] for c in columns if c not in skipped}
        notable = {c: v for c, v in diff.items() if c not in skipped}
        out.steps.append(_version(ctx, key, "update", before, notable, at, out))
        return out

    def insert(self, ctx: WriteContext, key: RowKey, new: Mapping[str, Any], timeline: Timeline) -> WriteSet:
        columns = ctx.live_info.columns
        row = dict(new)
        at = ctx.now
        if "updated_at" in columns:
            row["updated_at"] = at = stamp(ctx.now, columns["updated_at"].type, ctx.config.timezone)
        out = WriteSet([Step(insert(ctx.live_info.insert_table()).values(row), "live row re-created")])
        skipped = skipped_columns(ctx)
        created = {c: [None, v] for c, v in row.items() if v is not None and c not in skipped}
        out.steps.append(_version(ctx, key, "create", None, created, at, out))
        return out

    def delete(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any],
               timeline: Timeline | None) -> WriteSet:
        """``destroy``: DELETE, then a ``destroy`` version (object = the row, every attribute changed to nil,
        created_at = now: a destroy is stamped with the current time, not ``updated_at``)."""
        skipped = skipped_columns(ctx)
        out = WriteSet([Step(delete(ctx.live).where(key_where(ctx.live, key)), "live row deleted", expect=1)])
        before = {c: current[c] for c in ctx.live_info.columns if c not in skipped}
        gone = {c: [v, None] for c, v in before.items()}
        out.steps.append(_version(ctx, key, "destroy", before, gone, ctx.now, out))
        return out

    def deleted_keys(self, ctx: WriteContext, limit: int | None = None) -> list[RowKey]:
        store, live = ctx.store, ctx.live
        (name,) = ctx.det.key
        types = item_types(ctx.conn, store, ctx.det.live.name, ctx.config.model)
        exists = select(live.c[name]).where(live.c[name] == store.c.item_id).exists()
        query = (select(store.c.item_id).where(store.c.item_type.in_(types), store.c.event == "destroy", ~exists)
                 .distinct().order_by(store.c.item_id))
        if limit is not None:
            query = query.limit(limit)
        return [RowKey(((name, v),)) for (v,) in ctx.conn.execute(query)]


def _version(ctx: WriteContext, key: RowKey, event: str, before: Mapping[str, Any] | None,
             changes: Mapping[str, Any], at: Any, out: WriteSet) -> Step:
    """The version row PaperTrail inserts for this save of one record."""
    store = ctx.store
    (_, item_id), = key.items
    types = item_types(ctx.conn, store, ctx.det.live.name, ctx.config.model)
    last = ctx.conn.execute(select(store).where(store.c.item_type.in_(types), store.c.item_id == item_id)
                            .order_by(store.c.created_at.desc(), store.c.id.desc()).limit(1)).mappings().first()
    item_type = last["item_type"] if last is not None else one_type(ctx, types)
    subtype = last.get("item_subtype") if last is not None else None
    out.notes.extend(metadata_notes(ctx))
    record = version_record(ctx, store_form(ctx), event, item_type, item_id, subtype, before, changes, at)
    return Step(insert(ctx.store_info.insert_table()).values(record), f"{store.name}: PaperTrail {event} version")
