"""django-pghistory: a restore is an ordinary write inside a pghistory context; the triggers write the event.

Like ``with pghistory.context(user=..., reason=...)``, the write first runs ``SELECT set_config(
'pghistory.context_id', <uuid>, true), set_config('pghistory.context_metadata', <json>, true)`` (the
metadata holds ``user`` = --actor (an integer when it is a user id) and ``reason`` = --reason; without
either no context is set and the event's ``pgh_context_id`` stays NULL), then the plain UPDATE (INSERT for an
undelete, DELETE for the revert of a creation) of the live row; the table's pgtrigger triggers write the event
and upsert the context row. The context id is derived from the table, key and time of the write, so a plan
applies the same statements.
chrono refuses when the table has no enabled trigger for the operation (the event would be missing) and
never sets ``pgtrigger.ignore``. A change of excluded columns only writes no event (the update trigger's
condition compares the tracked columns), as with the library.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.builtin.pghistory.adapter import OBJ, PghistoryOptions
from chrono_cli.conventions.rows import key_where
from chrono_cli.conventions.writes.base import Step, WriteContext, Writer, WriteSet
from chrono_cli.errors import UnsupportedOperation
from chrono_cli.model import FieldChange, RowKey, TableRef, Timeline


class PghistoryWriter(Writer):
    """django-pghistory event tables (trigger-written)."""

    def bookkeeping(self, det: Any) -> frozenset[str]:
        return frozenset()

    def store_where(self, ctx: WriteContext, key: RowKey) -> ColumnElement[bool]:
        (_, pk), = key.items
        return and_(ctx.store.c[OBJ] == pk)

    def writable(self, ctx: WriteContext, key: RowKey) -> None:
        self.on_postgresql(ctx)

    @staticmethod
    def on_postgresql(ctx: WriteContext) -> None:
        if ctx.conn.dialect.name != "postgresql":
            raise UnsupportedOperation("django-pghistory records events with PostgreSQL triggers only")

    def update(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any], new: Mapping[str, Any],
               changes: Sequence[FieldChange], timeline: Timeline | None) -> WriteSet:
        values = {c.column: new[c.column] for c in changes}
        out = WriteSet()
        tracked = set(ctx.det.opts(PghistoryOptions).tracked)
        if set(values) & tracked:
            out.notes.append(self.triggers(ctx, "UPDATE"))
        else:
            out.notes.append(f"{', '.join(values)} not tracked by pghistory: the update trigger writes no event")
        self._context(ctx, key, out)
        out.steps.append(Step(update(ctx.live).where(key_where(ctx.live, key)).values(values),
                              "live row (its UPDATE trigger writes the event)", expect=1))
        return out

    def insert(self, ctx: WriteContext, key: RowKey, new: Mapping[str, Any], timeline: Timeline) -> WriteSet:
        out = WriteSet([], [self.triggers(ctx, "INSERT")])
        self._context(ctx, key, out)
        out.steps.append(Step(insert(ctx.live_info.insert_table()).values(dict(new)),
                              "live row re-created (its INSERT trigger writes the event)"))
        return out

    def delete(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any],
               timeline: Timeline | None) -> WriteSet:
        """A plain DELETE inside the context, as ``obj.delete()`` in ``pghistory.context()``: the DELETE trigger
        writes the event (refused without one)."""
        out = WriteSet([], [self.triggers(ctx, "DELETE")])
        self._context(ctx, key, out)
        out.steps.append(Step(delete(ctx.live).where(key_where(ctx.live, key)),
                              "live row deleted (its DELETE trigger writes the event)", expect=1))
        return out

    def deleted_keys(self, ctx: WriteContext, limit: int | None = None) -> list[RowKey]:
        store, live = ctx.store, ctx.live
        (name,) = ctx.det.key
        exists = select(live.c[name]).where(live.c[name] == store.c[OBJ]).exists()
        query = select(store.c[OBJ]).where(~exists).distinct().order_by(store.c[OBJ])
        if limit is not None:
            query = query.limit(limit)
        return [RowKey(((name, v),)) for (v,) in ctx.conn.execute(query)]

    @staticmethod
    def triggers(ctx: WriteContext, event: str) -> str:
        found = [t for t in ctx.live_info.triggers if t.enabled and event in t.events]
        if not found:
            raise UnsupportedOperation(f"{ctx.det.live} has no enabled {event} trigger: pghistory would record no "
                                       f"event in {ctx.det.store.name}, and chrono will not write one itself",
                                       hint=f"track the model with pghistory's {event.title()}Event and migrate")
        return f"the event is written by the table's triggers: {', '.join(t.name for t in found)}"

    @staticmethod
    def _context(ctx: WriteContext, key: RowKey, out: WriteSet) -> None:
        step = context_step(ctx, f"{ctx.det.live}|{key.items!r}")
        if step is None:
            out.notes.append("no --actor or --reason: no pghistory context (the event's pgh_context_id stays NULL)")
        else:
            out.steps.append(step)


def context_step(ctx: WriteContext, seed: str) -> Step | None:
    """The ``set_config`` of a pghistory context carrying --actor and --reason (None: neither given); the id is
    derived from ``seed`` and the time of the write, so a plan applies the same statements."""
    metadata: dict[str, Any] = {}
    if ctx.meta.actor:
        metadata["user"] = _user(ctx, ctx.meta.actor)
    if ctx.meta.reason:
        metadata["reason"] = ctx.meta.reason
    if not metadata:
        return None
    digest = hashlib.sha256(f"{seed}|{ctx.now.isoformat()}".encode()).digest()
    context_id = uuid.UUID(bytes=digest[:16], version=4)
    statement = select(func.set_config("pghistory.context_id", str(context_id), True),
                       func.set_config("pghistory.context_metadata", json.dumps(metadata), True))
    label = "pghistory context for the triggers (as pghistory.context() sets it)"
    return Step(statement, label)  # type: ignore[arg-type]  # a SELECT: set_config has no DML form


def _user(ctx: WriteContext, actor: str) -> Any:
    """--actor as pghistory's ``user``: the id of an ``auth_user`` row as an integer, else the text given."""
    from chrono_cli.db import reflect

    ref = TableRef(ctx.det.live.schema, "auth_user")
    info = ctx.snapshot.get(ref) or reflect.reflect(ctx.conn, {ref.schema: [ref.name]}).get(ref)
    if not actor.isdigit() or info is None or info.pk != ("id",):
        return actor
    t = info.table()
    found = ctx.conn.execute(select(t.c.id).where(t.c.id == int(actor))).scalar()
    return actor if found is None else found
