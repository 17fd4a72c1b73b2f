"""Writes for declared layouts whose history the database's own triggers write.

chrono writes only the base table (an ordinary UPDATE, INSERT or DELETE in the plan's one transaction) and
lets the table's triggers write the history row, with whatever actor and reason those triggers record. With
no trigger for the operation, chrono refuses: it will not write a history it does not know how to write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.config import Shape
from chrono_cli.conventions.base import Detection
from chrono_cli.conventions.rows import key_where
from chrono_cli.conventions.shapes.common import declared, key_filter
from chrono_cli.conventions.writes.base import Step, WriteContext, Writer, WriteSet
from chrono_cli.db.triggers import TriggerInfo
from chrono_cli.errors import UnsupportedOperation
from chrono_cli.model import FieldChange, RowKey, Timeline


def triggers_for(ctx: WriteContext, event: str) -> list[TriggerInfo]:
    """The enabled triggers on the live table that fire on ``event`` (the snapshot's "triggers" fact)."""
    return [t for t in ctx.live_info.triggers if t.enabled and event in t.events]


def history_note(ctx: WriteContext, event: str) -> str:
    """The plan note naming the triggers that write the history row, or a refusal when there are none."""
    found = triggers_for(ctx, event)
    if not found:
        raise UnsupportedOperation(
            f"{ctx.det.live} has no {event} trigger, and its declared {ctx.det.adapter} history "
            f"({ctx.det.store}) is written by triggers: chrono will not write a history it does not know how to "
            "write", hint=f"add the {event} trigger that fills {ctx.det.store}, or restore by hand")
    names = ", ".join(f"{t.name} ({t.timing} {event})" for t in found)
    return (f"history is written by the table's triggers: {names}; chrono writes only {ctx.det.live} "
            "(the triggers decide the recorded actor and reason)")


class TriggerWriter(Writer):
    """Base-table writes for a trigger-filled declared layout."""


    def bookkeeping(self, det: Detection) -> frozenset[str]:
        dec = declared(det)
        if dec.layout.shape is not Shape.PERIOD:
            return frozenset()  # roles name history columns only
        # a period table's base carries the period too, maintained by its triggers
        return frozenset(dec.layout.roles.values()) - set(det.key)

    def store_where(self, ctx: WriteContext, key: RowKey) -> ColumnElement[bool] | None:
        dec = declared(ctx.det)
        if ctx.det.in_table or dec.role("row_key"):
            return None  # a shared log: rows are matched by decoding their key, not by a condition
        return key_filter(ctx.store, dec.key, key)

    def update(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any], new: Mapping[str, Any],
               changes: Sequence[FieldChange], timeline: Timeline | None) -> WriteSet:
        note = history_note(ctx, "UPDATE")
        values = {c.column: new[c.column] for c in changes}
        return WriteSet([Step(update(ctx.live).where(key_where(ctx.live, key)).values(values),
                              "live row (its UPDATE trigger writes the history row)", expect=1)], [note])

    def insert(self, ctx: WriteContext, key: RowKey, new: Mapping[str, Any], timeline: Timeline) -> WriteSet:
        dec = declared(ctx.det)
        if dec.layout.shape in (Shape.OLD_STATE, Shape.PERIOD) or dec.layout.data_means == "before":
            # rows hold replaced states: an insert replaces none, so no history row is due
            note = (f"an insert writes no row into {ctx.det.store} (it keeps replaced states): the deletion stays "
                    "recorded, and the re-created row's first change will record this state")
        else:
            note = history_note(ctx, "INSERT")
        return WriteSet([Step(insert(ctx.live_info.insert_table()).values(dict(new)),
                              "live row re-created (its INSERT trigger writes the history row)")], [note])

    def delete(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any],
               timeline: Timeline | None) -> WriteSet:
        note = history_note(ctx, "DELETE")
        return WriteSet([Step(delete(ctx.live).where(key_where(ctx.live, key)),
                              "live row deleted (its DELETE trigger writes the history row)", expect=1)], [note])

    def deleted_keys(self, ctx: WriteContext, limit: int | None = None) -> list[RowKey]:
        dec = declared(ctx.det)
        if dec.role("row_key"):
            return _deleted_in_log(ctx, limit)
        store, live = ctx.store, ctx.live
        cols = [store.c[c] for c in dec.key]
        exists = select(live.c[ctx.det.key[0]]).where(
            *(live.c[b] == store.c[h] for h, b in zip(dec.key, ctx.det.key, strict=True))).exists()
        query = select(*cols).where(~exists).distinct().order_by(*cols)
        if limit is not None:
            query = query.limit(limit)
        return [RowKey(tuple(zip(ctx.det.key, row, strict=True))) for row in ctx.conn.execute(query)]


WRITERS: dict[str, Writer] = {name: TriggerWriter() for name in
                              ("old-state", "new-state", "json-snapshot", "json-diff", "period")}


def _deleted_in_log(ctx: WriteContext, limit: int | None) -> list[RowKey]:
    """Keys a shared log names for this table whose live row is gone (keys decoded in Python)."""
    from sqlalchemy import tuple_

    from chrono_cli.conventions.base import ReadContext
    from chrono_cli.conventions.shapes.events import key_of, store_filter

    rctx = ReadContext(ctx.conn, ctx.snapshot, ctx.config)
    column = ctx.store.c[declared(ctx.det).role("row_key") or ""]
    query = select(column).distinct()
    mine = store_filter(rctx, ctx.det)
    if mine is not None:
        query = query.where(mine)
    keys = {k for (raw,) in ctx.conn.execute(query) if (k := key_of(rctx, ctx.det, raw)) is not None}
    live, names = ctx.live, list(ctx.det.key)
    present: set[tuple[object, ...]] = set()
    ordered = sorted(keys, key=lambda k: tuple(str(v) for _, v in k.items))
    for start in range(0, len(ordered), 500):
        chunk = [tuple(v for _, v in k.items) for k in ordered[start:start + 500]]
        present |= {tuple(r) for r in ctx.conn.execute(
            select(*[live.c[c] for c in names]).where(tuple_(*[live.c[c] for c in names]).in_(chunk)))}
    gone = [k for k in ordered if tuple(v for _, v in k.items) not in present]
    return gone[:limit] if limit is not None else gone
