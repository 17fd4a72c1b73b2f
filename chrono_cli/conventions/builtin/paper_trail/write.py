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
from chrono_cli.conventions.builtin.paper_trail import codec, psych
from chrono_cli.conventions.builtin.paper_trail.adapter import PaperTrailOptions, item_types
from chrono_cli.conventions.rows import key_where
from chrono_cli.conventions.types import is_json
from chrono_cli.conventions.writes.base import Step, WriteContext, Writer, WriteSet
from chrono_cli.conventions.writes.values import insert_table, stamp
from chrono_cli.errors import Refused
from chrono_cli.model import FieldChange, RowKey, Timeline

SCAN = 20  # newest documents read to learn the store's serialization and the attributes it skips


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
        skipped = self._skipped(ctx)
        values = {c.column: new[c.column] for c in changes}
        diff = {c.column: [c.old, new[c.column]] for c in changes}
        at = ctx.now
        if "updated_at" in columns:
            values["updated_at"] = stamp(ctx.now, columns["updated_at"].type, "UTC")
            diff["updated_at"] = [current.get("updated_at"), values["updated_at"]]
            at = values["updated_at"]
        out = WriteSet([Step(update(ctx.live).where(key_where(ctx.live, key)).values(values), "live row", expect=1)])
        before = {c: current[c] for c in columns if c not in skipped}
        notable = {c: v for c, v in diff.items() if c not in skipped}
        out.steps.append(self._version(ctx, key, "update", before, notable, at, out))
        return out

    def insert(self, ctx: WriteContext, key: RowKey, new: Mapping[str, Any], timeline: Timeline) -> WriteSet:
        columns = ctx.live_info.columns
        row = dict(new)
        at = ctx.now
        if "updated_at" in columns:
            row["updated_at"] = at = stamp(ctx.now, columns["updated_at"].type, "UTC")
        out = WriteSet([Step(insert(insert_table(ctx.live_info)).values(row), "live row re-created")])
        skipped = self._skipped(ctx)
        created = {c: [None, v] for c, v in row.items() if v is not None and c not in skipped}
        out.steps.append(self._version(ctx, key, "create", None, created, at, out))
        return out

    def delete(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any],
               timeline: Timeline | None) -> WriteSet:
        """``destroy``: DELETE, then a ``destroy`` version (object = the row, every attribute changed to nil,
        created_at = now: a destroy is stamped with the current time, not ``updated_at``)."""
        skipped = self._skipped(ctx)
        out = WriteSet([Step(delete(ctx.live).where(key_where(ctx.live, key)), "live row deleted", expect=1)])
        before = {c: current[c] for c in ctx.live_info.columns if c not in skipped}
        gone = {c: [v, None] for c, v in before.items()}
        out.steps.append(self._version(ctx, key, "destroy", before, gone, ctx.now, out))
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

    def _version(self, ctx: WriteContext, key: RowKey, event: str, before: Mapping[str, Any] | None,
                 changes: Mapping[str, Any], at: Any, out: WriteSet) -> Step:
        """The version row PaperTrail inserts for this save."""
        info, store = ctx.store_info, ctx.store
        opts = ctx.det.opts(PaperTrailOptions)
        where = self.store_where(ctx, key)
        last = ctx.conn.execute(select(store).where(where).order_by(store.c.created_at.desc(), store.c.id.desc())
                                .limit(1)).mappings().first()
        types = item_types(ctx.conn, store, ctx.det.live.name, ctx.config.model)
        if last is None and len(types) != 1:
            raise Refused(f"cannot tell which class PaperTrail records {ctx.det.live.name} under",
                                  hint=f"declare it: [tables.{ctx.det.live.name}] model = \"ClassName\"")
        (_, item_id), = key.items
        form = self._form(ctx)
        columns = ctx.live_info.columns
        record: dict[str, Any] = {
            "item_type": last["item_type"] if last is not None else types[0], "item_id": item_id, "event": event,
            "object": None if before is None else form.document(before, columns),
            "created_at": stamp(at if hasattr(at, "tzinfo") and at.tzinfo else at.replace(tzinfo=ctx.now.tzinfo),
                                info.columns["created_at"].type, "UTC")}
        if "whodunnit" in info.columns:
            record["whodunnit"] = ctx.meta.actor
        if opts.changes:
            record["object_changes"] = form.document(changes, columns, pairs=True)
        if opts.subtype and last is not None:
            record["item_subtype"] = last["item_subtype"]
        if opts.metadata:
            out.notes.append(f"PaperTrail metadata columns ({', '.join(opts.metadata)}) come from application "
                             "code: left NULL")
        return Step(insert(insert_table(info)).values(record), f"{store.name}: PaperTrail {event} version")

    def _samples(self, ctx: WriteContext) -> list[Any]:
        store = ctx.store
        types = item_types(ctx.conn, store, ctx.det.live.name, ctx.config.model)
        return list(ctx.conn.execute(select(store.c.object).where(store.c.item_type.in_(types),
                                                                  store.c.object.is_not(None))
                                     .order_by(store.c.id.desc()).limit(SCAN)).scalars())

    def _form(self, ctx: WriteContext) -> codec.Form:
        """How this store serializes documents, learnt from its column type and newest rows."""
        if is_json(ctx.store_info.columns["object"].type):
            return codec.Form(json_column=True)
        texts = [s for s in self._samples(ctx) if isinstance(s, str)]
        if texts and texts[0].lstrip().startswith("{"):
            return codec.Form(json_text=True)
        return codec.Form(style=psych.learn_style(texts))

    def _skipped(self, ctx: WriteContext) -> set[str]:
        """Columns the newest ``object`` documents leave out (PaperTrail's ``skip``)."""
        docs = [codec.parse(s) for s in self._samples(ctx)]
        docs = [d for d in docs if isinstance(d, dict)]
        if not docs:
            return set()
        return {c for c in ctx.live_info.columns if all(c not in d for d in docs)}
