"""django-simple-history: what ``history.instance.save()`` writes (the documented revert, §5.5).

UPDATE the base row's tracked columns (INSERT it for an undelete), then INSERT a historical row with the new
state: ``history_date`` = now (UTC; naive when the column is), ``history_type`` '~' ('+' for an undelete),
``history_change_reason`` = --reason, ``history_user_id`` only when --actor is the id of a user row,
``history_relation_id`` = the key when present, ``history_id`` from the table (a uuid4-shaped value when it
is uuid-typed). Each m2m history table gets one row per current through row under the new ``history_id``
(read back in SQL: ``currval`` on PostgreSQL, ``LAST_INSERT_ID()`` on MariaDB, the newest id under SQLite's
write lock). Membership itself is not restored. A delete is what ``instance.delete()`` leaves: Django's collector
first deletes the row's m2m through rows (no m2m_changed signal, so no history for them), then the base row;
``post_delete`` then writes a ``-`` row holding the last state (its m2m snapshot is empty).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, insert, literal, select, update

from chrono_cli.conventions.actors import user_id
from chrono_cli.conventions.base import Detection
from chrono_cli.conventions.builtin.simple_history.adapter import SimpleHistoryOptions
from chrono_cli.conventions.memberships import membership_note
from chrono_cli.conventions.rows import key_where
from chrono_cli.conventions.shapes.old_state_write import missing_keys
from chrono_cli.conventions.writes.base import Step, WriteContext, Writer, WriteSet, find_info
from chrono_cli.conventions.writes.values import last_id, stamp
from chrono_cli.errors import Refused
from chrono_cli.model import FieldChange, RowKey, Timeline


class SimpleHistoryWriter(Writer):
    """django-simple-history ``<app>_historical<model>``."""


    def bookkeeping(self, det: Detection) -> frozenset[str]:
        return frozenset(m.name for m in det.opts(SimpleHistoryOptions).m2m)

    def update(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any], new: Mapping[str, Any],
               changes: Sequence[FieldChange], timeline: Timeline | None) -> WriteSet:
        values = {c.column: new[c.column] for c in changes}
        out = WriteSet([Step(update(ctx.live).where(key_where(ctx.live, key)).values(values), "base row",
                             expect=1)])
        if not set(values) & set(ctx.det.opts(SimpleHistoryOptions).tracked_columns):
            out.notes.append(f"{', '.join(values)} not tracked: the historical row repeats the previous state "
                             "(Django's save() writes one anyway)")
        self._history(ctx, key, out, {**current, **new}, "~", new, timeline)
        return out

    def insert(self, ctx: WriteContext, key: RowKey, new: Mapping[str, Any], timeline: Timeline) -> WriteSet:
        out = WriteSet([Step(insert(ctx.live_info.insert_table()).values(dict(new)), "base row re-created")])
        self._history(ctx, key, out, dict(new), "+", new, timeline)
        return out

    def delete(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any],
               timeline: Timeline | None) -> WriteSet:
        out = WriteSet()
        (_, pk), = key.items
        for m in ctx.det.opts(SimpleHistoryOptions).m2m:
            through = find_info(ctx, m.through)
            to_base = [fk for fk in through.foreign_keys if fk.referred == ctx.det.live] if through else []
            if through is not None and len(to_base) == 1 and len(to_base[0].columns) == 1:
                t = through.table()
                out.steps.append(Step(delete(t).where(t.c[to_base[0].columns[0]] == pk),
                                      f"{through.ref.name}: the row's m2m links (Django's collector deletes them)"))
        out.steps.append(Step(delete(ctx.live).where(key_where(ctx.live, key)), "base row deleted", expect=1))
        self._history(ctx, key, out, dict(current), "-", {}, None)
        return out

    def deleted_keys(self, ctx: WriteContext, limit: int | None = None) -> list[RowKey]:
        return missing_keys(ctx, None, limit)

    def _history(self, ctx: WriteContext, key: RowKey, out: WriteSet, state: Mapping[str, Any], kind: str,
                 new: Mapping[str, Any], timeline: Timeline | None) -> None:
        o = ctx.det.opts(SimpleHistoryOptions)
        info = ctx.store_info
        hid = o.history_id_column
        row: dict[str, Any] = {}
        for c in o.tracked_columns:
            row[c] = state.get(c)
        for c in o.extra_columns:
            if not info.columns[c].nullable and info.columns[c].default is None:
                raise Refused(f"{info.ref}.{c} is NOT NULL and not a column of {ctx.det.live}: chrono cannot "
                              "fill it (a custom historical field)")
        row[o.date_column] = stamp(ctx.now, info.columns[o.date_column].type, ctx.config.timezone)
        row[o.type_column] = kind
        row[o.reason_column] = ctx.meta.reason
        uid = user_id(ctx.conn, info, o.user_column, ctx.meta.actor)
        row[o.user_column] = uid
        out.notes += actor_notes(ctx, uid)
        if o.relation_column:
            (_, pk), = key.items
            row[o.relation_column] = pk
        x: Any
        if o.history_id_kind != "integer" and info.columns[hid].default is None:
            seed = f"{info.ref}|{key.items!r}|{ctx.now.isoformat()}".encode()
            x = uuid.UUID(bytes=hashlib.sha256(seed).digest()[:16], version=4)
            row[hid] = x
            x = literal(x, info.columns[hid].type)
        else:
            x = self._new_id(ctx)
        out.steps.append(Step(insert(info.insert_table()).values(row),
                              f"historical row: the new state, history_type '{kind}'"))
        if kind != "-":  # a deleted row has no links left to snapshot
            self._m2m(ctx, key, out, x)
        note = membership_note(ctx.det, [m.name for m in o.m2m], new, timeline)
        if note:
            out.notes.append(note)

    def _new_id(self, ctx: WriteContext) -> Any:
        return last_id(ctx.conn, ctx.store, ctx.det.opts(SimpleHistoryOptions).history_id_column)

    def _m2m(self, ctx: WriteContext, key: RowKey, out: WriteSet, x: Any) -> None:
        hid = ctx.det.opts(SimpleHistoryOptions).history_id_column
        for m in ctx.det.opts(SimpleHistoryOptions).m2m:
            hist, through = find_info(ctx, m.table), find_info(ctx, m.through)
            if hist is None or through is None:
                out.notes.append(f"m2m history {m.table}: its through table is not known, no rows written")
                continue
            to_base = [fk for fk in through.foreign_keys if fk.referred == ctx.det.live]
            if len(to_base) != 1 or len(to_base[0].columns) != 1:
                out.notes.append(f"m2m history {m.table}: no single foreign key to {ctx.det.live}, no rows written")
                continue
            (_, pk), = key.items
            t = through.table()
            cols = [c for c in hist.columns if c not in ("m2m_history_id", hid) and c in through.columns]
            query = select(x.label(hid), *(t.c[c] for c in cols)).where(t.c[to_base[0].columns[0]] == pk)
            out.steps.append(Step(insert(hist.insert_table()).from_select([hid, *cols], query),
                                  f"m2m history {hist.ref.name}: the current members under the new history row"))


def actor_notes(ctx: WriteContext, uid: Any) -> list[str]:
    """What a write's plan says about the actor: one that names no user (``uid`` None) leaves the user NULL."""
    if ctx.meta.actor and uid is None:
        return [f"actor {ctx.meta.actor!r} is not a user id: {ctx.det.opts(SimpleHistoryOptions).user_column} left "
                "NULL"]
    return []
