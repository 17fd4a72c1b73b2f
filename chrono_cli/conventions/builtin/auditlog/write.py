"""django-auditlog: what the library's ``pre_save`` receiver writes for an ordinary save (conventions.md 7F).

auditlog has no revert: a restore is an ordinary model save. UPDATE the row's changed columns, then INSERT one
action-1 entry whose ``changes`` holds ``[old, new]`` for each changed tracked field, formatted as auditlog
formats them (strings; ``"None"`` for NULL; naive UTC timestamps; JSON as sorted JSON text; foreign keys under
the field name with the raw id), under the field names the table's entries use; masked fields are not written
by a restore (their values are unknown), excluded ones are not logged. ``object_repr`` (``str(obj)``, app
code) is copied from the record's newest entry; ``actor_id`` = --actor when it is the id of a user row,
``actor_email`` that user's email; ``additional_data`` = ``{"reason": ...}`` with --reason; ``timestamp`` = now;
``changes_text`` = ''. An undelete INSERTs the row and an action-0 entry with ``["None", value]`` for every
tracked field that is not NULL, and ``"id"``; a delete (the revert of a creation) DELETEs it and logs an action-2
entry with ``[value, "None"]`` for each of them (a masked field's sides masked, as auditlog masks them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.actors import user_id
from chrono_cli.conventions.base import ReadContext
from chrono_cli.conventions.builtin.auditlog.adapter import (
    STORE,
    AuditlogAdapter,
    Fields,
    changes_of,
    fields_of,
    masked,
    stored_value,
)
from chrono_cli.conventions.decode import Undecodable
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.django_models import field_column
from chrono_cli.conventions.rows import key_where, zone
from chrono_cli.conventions.types import is_integer, is_json
from chrono_cli.conventions.writes.base import Step, WriteContext, Writer, WriteSet
from chrono_cli.conventions.writes.values import stamp
from chrono_cli.db import reflect
from chrono_cli.errors import UnsupportedOperation
from chrono_cli.model import FieldChange, RowKey, Timeline

_ADAPTER = AuditlogAdapter()


def logged(value: Any, tz: str | None) -> str:
    """A value as auditlog stores one side of a change."""
    if value is None:
        return "None"
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=zone(tz))
        return str(aware.astimezone(UTC).replace(tzinfo=None))
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.dumps(json.loads(value), sort_keys=True)
        except ValueError:
            return value
    return str(value)


def deletion(text: Callable[[str, Any], str], fields: Fields, current: Mapping[Any, Any]) -> dict[str, Any]:
    """The ``changes`` of the delete entry auditlog logs for the row ``current``: ``[value, "None"]`` for every
    tracked field that is not NULL, a masked field's sides masked as ``mask_str`` masks them."""
    out: dict[str, Any] = {}
    for c, name in fields.names.items():
        if current.get(c) is None:
            continue
        pair = [text(c, current[c]), "None"]
        out[name] = [_mask(v) for v in pair] if c in fields.masked else pair
    return out


def _mask(value: str) -> str:
    """auditlog's ``mask_str``: the first half of the characters replaced by ``*``."""
    half = len(value) // 2
    return "*" * half + value[half:]


def actor_notes(ctx: WriteContext, uid: Any) -> list[str]:
    """What an entry says of --actor when it is no user id (``uid`` None): it is not recorded."""
    return [f"actor {ctx.meta.actor!r} is not a user id: actor_id left NULL"] if ctx.meta.actor and uid is None \
        else []


class AuditlogWriter(Writer):
    """django-auditlog ``auditlog_logentry``."""

    def table_fields(self, ctx: WriteContext) -> tuple[int, Fields]:
        """The content type of the live table and what its entries say about its fields (once per write)."""
        memo = ctx.shared.memo("auditlog fields")
        if ctx.det.live in memo:
            return memo[ctx.det.live]  # type: ignore[no-any-return]
        ct = _ADAPTER.content_type(ReadContext(ctx.conn, ctx.snapshot, ctx.config), ctx.det)
        if ct is None:
            raise UnsupportedOperation(f"no auditlog content type names {ctx.det.live}",
                                       hint=f'set [tables.{ctx.det.live.name}] model = "app_label.model"')
        memo[ctx.det.live] = ct, fields_of(ctx.conn, ctx.store_info, ct, ctx.live_info)
        return memo[ctx.det.live]  # type: ignore[no-any-return]

    def store_where(self, ctx: WriteContext, key: RowKey) -> ColumnElement[bool]:
        (_, pk), = key.items
        ct, _ = self.table_fields(ctx)
        return and_(ctx.store.c.content_type_id == ct, ctx.store.c.object_pk == str(pk))

    def update(self, ctx: WriteContext, key: RowKey, current: Mapping[Any, Any], new: Mapping[Any, Any],
               changes: Sequence[FieldChange], timeline: Timeline | None) -> WriteSet:
        ct, fields = self.table_fields(ctx)
        values = {c.column: new[c.column] for c in changes if c.column not in fields.masked}
        out = WriteSet([Step(update(ctx.live).where(key_where(ctx.live, key)).values(values), "live row",
                             expect=1)])
        text = self.formatter(ctx, key, fields)
        diff = {fields.names[c]: [text(c, current.get(c)), text(c, v)] for c, v in values.items() if c in fields.names}
        if diff:
            self._entry(ctx, key, out, ct, 1, diff)
        else:
            out.notes.append(f"{', '.join(values)} not tracked by auditlog: no entry (auditlog logs no empty diff)")
        return out

    def insert(self, ctx: WriteContext, key: RowKey, new: Mapping[Any, Any], timeline: Timeline) -> WriteSet:
        ct, fields = self.table_fields(ctx)
        out = WriteSet([Step(insert(ctx.live_info.insert_table()).values(dict(new)), "live row re-created")])
        text = self.formatter(ctx, key, fields)
        diff = {name: ["None", text(c, new.get(c))] for c, name in fields.names.items()
                if new.get(c) is not None and c not in fields.masked}
        self._entry(ctx, key, out, ct, 0, diff)
        return out

    def delete(self, ctx: WriteContext, key: RowKey, current: Mapping[Any, Any],
               timeline: Timeline | None) -> WriteSet:
        ct, fields = self.table_fields(ctx)
        out = WriteSet([Step(delete(ctx.live).where(key_where(ctx.live, key)), "live row deleted", expect=1)])
        self._entry(ctx, key, out, ct, 2, deletion(self.formatter(ctx, key, fields), fields, current))
        return out

    def deleted_keys(self, ctx: WriteContext, limit: int | None = None) -> list[RowKey]:
        store, live = ctx.store, ctx.live
        (name,) = ctx.det.key
        ct, _ = self.table_fields(ctx)
        pks = ctx.conn.execute(select(store.c.object_pk).where(store.c.content_type_id == ct).distinct()).scalars()
        column = ctx.live_info.columns[name]
        wanted = [int(p) if is_integer(column.type) else p for p in pks]
        present = set(ctx.conn.execute(select(live.c[name]).where(live.c[name].in_(wanted))).scalars())
        gone = sorted((k for k in wanted if k not in present), key=lambda k: (str(type(k)), k))
        return [RowKey(((name, k),)) for k in gone[:limit]]

    def formatter(self, ctx: WriteContext, key: RowKey, fields: Fields) -> Callable[[str, Any], str]:
        """A value as auditlog logs it: the text an entry of the record stored for an equal value (the scale of
        a decimal, which a SQLite column does not keep), else formatted afresh."""
        store, columns, tz = ctx.store, ctx.live_info.columns, ctx.config.timezone
        stored: dict[str, list[str]] = {}
        for row in ctx.conn.execute(select(store.c.changes, store.c.changes_text).where(self.store_where(ctx, key))
                                    .order_by(store.c.id.desc())).mappings():
            for name, pair in changes_of(row).items():
                column = field_column(name, columns)
                if column is not None and isinstance(pair, list):
                    stored.setdefault(column, []).extend(str(v) for v in pair if not masked(v))

        def text(column: str, value: Any) -> str:
            for candidate in stored.get(column, []):
                try:
                    if same(stored_value(candidate, columns[column], tz), value):
                        return candidate
                except (Undecodable, ValueError):
                    continue
            return logged(value, tz)

        return text

    def _entry(self, ctx: WriteContext, key: RowKey, out: WriteSet, ct: int, action: int,
               diff: dict[str, Any]) -> None:
        store = ctx.store
        (_, pk), = key.items
        repr_ = ctx.conn.execute(select(store.c.object_repr).where(self.store_where(ctx, key))
                                 .order_by(store.c.timestamp.desc(), store.c.id.desc()).limit(1)).scalar()
        row = self.entry_row(ctx, out.notes, ct, pk, repr_, action, diff)
        out.steps.append(Step(insert(ctx.store_info.insert_table()).values(row),
                              f"{STORE}: action {action}, the changed fields as auditlog formats them"))

    def entry_row(self, ctx: WriteContext, notes: list[str], ct: int, pk: Any, repr_: str | None, action: int,
                  diff: dict[str, Any]) -> dict[str, Any]:
        """The ``auditlog_logentry`` row of one change of the record ``pk`` (``repr_``: its newest object_repr)."""
        if repr_ is None:
            raise UnsupportedOperation(f"{ctx.det.live} {pk} has no auditlog entry to take its object_repr from")
        info = ctx.store_info
        uid, email = self._actor(ctx, notes)
        extra = {"reason": ctx.meta.reason} if ctx.meta.reason else None
        changes: Any = diff if is_json(info.columns["changes"].type) else json.dumps(diff)
        data: Any = extra
        if extra is not None and "additional_data" in info.columns and not is_json(
                info.columns["additional_data"].type):
            data = json.dumps(extra)
        row = {"content_type_id": ct, "object_pk": str(pk), "object_id": pk if isinstance(pk, int) else None,
               "object_repr": repr_, "action": action, "changes": changes,
               "timestamp": stamp(ctx.now, info.columns["timestamp"].type, ctx.config.timezone),
               "actor_id": uid, "changes_text": ""}
        if "actor_email" in info.columns:
            row["actor_email"] = email
        if "additional_data" in info.columns:
            row["additional_data"] = data
        return row

    @staticmethod
    def _actor(ctx: WriteContext, notes: list[str]) -> tuple[Any, Any]:
        """--actor as ``actor_id`` (when it is a user id) and that user's email, looked up once per write."""
        memo = ctx.shared.memo("auditlog actor")
        if "actor" in memo:
            return memo["actor"]  # type: ignore[no-any-return]
        info = ctx.store_info
        uid = user_id(ctx.conn, info, "actor_id", ctx.meta.actor)
        notes += actor_notes(ctx, uid)
        email = None
        if uid is not None:
            ref = next(fk.referred for fk in info.foreign_keys if fk.columns == ("actor_id",))
            users = ctx.snapshot.get(ref) or reflect.reflect(ctx.conn, {ref.schema: [ref.name]}).get(ref)
            if users is not None and "email" in users.columns:
                u = users.table()
                email = ctx.conn.execute(select(u.c.email).where(u.c[users.pk[0]] == uid)).scalar()
        memo["actor"] = (uid, email)
        return uid, email
