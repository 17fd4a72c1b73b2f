"""django-reversion: what ``version.revert()`` inside ``create_revision()`` writes (conventions.md 7E).

UPDATE the row's changed columns (INSERT it for an undelete: ``revert()`` of a deleted object saves it again),
then, as the block's exit does: INSERT one ``reversion_revision`` (``date_created`` = now, ``comment`` =
--reason or '', ``user_id`` = --actor when it is the id of a user row) and one ``reversion_version`` holding
the restored state in the Django serializer format of the record's newest version (json, xml or yaml:
formats.py), under the new revision's id (the rows of one write,
e.g. a revert, share one revision, as one block would). Fields are serialized
in the order and form of the record's stored versions: a value equal to one a version stored keeps that
version's text (offsets, millisecond cuts), others are encoded as Django's serializer does; ``object_repr``
(``str(obj)``, app code) is copied from the newest version with the same state, else the newest version;
``db`` and ``format`` from the newest version. Unlike ``revert()``, columns the versions do not record
(``exclude``) keep their current values (reversion would reset them to the model default, its issue #653).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import and_, delete, insert, literal_column, select, text, update
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.actors import user_id
from chrono_cli.conventions.base import ReadContext
from chrono_cli.conventions.builtin.reversion import formats
from chrono_cli.conventions.builtin.reversion.adapter import (
    REVISION,
    ReversionAdapter,
    document,
    field_value,
    revision_info,
)
from chrono_cli.conventions.builtin.reversion.follow import follow_rows
from chrono_cli.conventions.decode import Undecodable
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.django_models import field_column
from chrono_cli.conventions.rows import key_where
from chrono_cli.conventions.shapes.bulk import CHUNK
from chrono_cli.conventions.writes.base import Step, WriteContext, Writer, WriteSet
from chrono_cli.conventions.writes.values import last_id, stamp
from chrono_cli.db.reflect import ColumnInfo, TableInfo
from chrono_cli.errors import UnsupportedOperation
from chrono_cli.model import FieldChange, RowKey, Timeline

_ADAPTER = ReversionAdapter()
REVISION_VAR = "@chrono_revision"  # MariaDB: the id of the write's revision (a session variable)


def _mariadb(ctx: WriteContext) -> bool:
    return ctx.conn.dialect.name in ("mysql", "mariadb")


class ReversionWriter(Writer):
    """django-reversion ``reversion_revision`` + ``reversion_version``."""

    def content_type(self, ctx: WriteContext) -> int:
        memo = ctx.shared.memo("reversion content type")
        if ctx.det.live in memo:
            return memo[ctx.det.live]  # type: ignore[no-any-return]
        ct = _ADAPTER.content_type(ReadContext(ctx.conn, ctx.snapshot, ctx.config), ctx.det)
        if ct is None:
            raise UnsupportedOperation(f"no reversion content type names {ctx.det.live}",
                                       hint=f'set [tables.{ctx.det.live.name}] model = "app_label.model"')
        memo[ctx.det.live] = ct
        return ct

    def store_where(self, ctx: WriteContext, key: RowKey) -> ColumnElement[bool]:
        (_, pk), = key.items
        return and_(ctx.store.c.content_type_id == self.content_type(ctx), ctx.store.c.object_id == str(pk))

    def update(self, ctx: WriteContext, key: RowKey, current: Mapping[Any, Any], new: Mapping[Any, Any],
               changes: Sequence[FieldChange], timeline: Timeline | None) -> WriteSet:
        values = {c.column: new[c.column] for c in changes}
        out = WriteSet([Step(update(ctx.live).where(key_where(ctx.live, key)).values(values), "live row",
                             expect=1)])
        self._revision(ctx, key, out, {**current, **new})
        return out

    def insert(self, ctx: WriteContext, key: RowKey, new: Mapping[Any, Any], timeline: Timeline) -> WriteSet:
        out = WriteSet([Step(insert(ctx.live_info.insert_table()).values(dict(new)),
                             "live row re-created (revert() saves a deleted object again)")])
        self._revision(ctx, key, out, dict(new))
        return out

    def delete(self, ctx: WriteContext, key: RowKey, current: Mapping[Any, Any],
               timeline: Timeline | None) -> WriteSet:
        """A plain DELETE (``obj.delete()``): reversion records no deletion."""
        return WriteSet([Step(delete(ctx.live).where(key_where(ctx.live, key)), "live row deleted", expect=1)],
                        ["reversion records no deletion: nothing is written to its tables"])

    def deleted_keys(self, ctx: WriteContext, limit: int | None = None) -> list[RowKey]:
        store, live = ctx.store, ctx.live
        (name,) = ctx.det.key
        ids = ctx.conn.execute(select(store.c.object_id).where(store.c.content_type_id == self.content_type(ctx))
                               .distinct()).scalars().all()
        column = ctx.live_info.columns[name]
        keys = {}
        for raw in ids:
            try:
                keys[field_value(raw, column, None)] = raw
            except Undecodable:
                continue
        present = set(ctx.conn.execute(select(live.c[name]).where(live.c[name].in_(list(keys)))).scalars())
        gone = sorted((k for k in keys if k not in present), key=lambda k: (str(type(k)), k))
        return [RowKey(((name, k),)) for k in gone[:limit]]

    def deletion_notes(self, det: Any) -> list[str]:
        return ["reversion records no deletion: these keys have versions and no live row (time of deletion unknown)"]

    def _revision(self, ctx: WriteContext, key: RowKey, out: WriteSet, state: Mapping[Any, Any]) -> None:
        (_, pk), = key.items
        ct = self.content_type(ctx)
        if ctx.shared.once("reversion_revision", str(ctx.det.store)):  # one block: one revision for every row
            out.steps += self.revision_steps(ctx, out.notes)
        ctx.shared.once("reversion_version", str(ct), str(pk))
        out.steps.append(Step(insert(ctx.store_info.insert_table()).values(
            self.version_row(ctx, pk, self.stored(ctx, ct, [pk]).get(str(pk), []), state)),
            f"{ctx.det.store.name}: the restored state"))
        for row in self.follow_versions(ctx, ct, [state]):
            out.steps.append(Step(insert(ctx.store_info.insert_table()).values(row),
                                  f"{ctx.det.store.name}: a followed object's current state (reversion's follow)"))

    def stored(self, ctx: WriteContext, ct: int, keys: Sequence[Any]) -> dict[str, list[Mapping[Any, Any]]]:
        """Every stored version of ``keys`` of the content type ``ct``, newest first, by ``object_id``."""
        store = ctx.store
        out: dict[str, list[Mapping[Any, Any]]] = {}
        for i in range(0, len(keys), CHUNK):
            chunk = [str(k) for k in keys[i:i + CHUNK]]
            query = (select(store.c.object_id, store.c.serialized_data, store.c.object_repr, store.c.db,
                            store.c.format)
                     .where(store.c.content_type_id == ct, store.c.object_id.in_(chunk)).order_by(store.c.id.desc()))
            for r in ctx.conn.execute(query).mappings():
                out.setdefault(r["object_id"], []).append(r)
        return out

    def follow_versions(self, ctx: WriteContext, ct: int, states: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """The versions of the objects ``states`` follow (follow.py), each object once per revision."""
        out = []
        for states_of in states:
            for info, target_ct, row in follow_rows(ctx, ctx.live_info, ct, states_of):
                pk = row[info.pk[0]]
                if not ctx.shared.once("reversion_version", str(target_ct), str(pk)):
                    continue
                rows = self.stored(ctx, target_ct, [pk]).get(str(pk), [])
                if rows:  # a followed object never versioned has no serialized form to copy: left out
                    out.append(self.version_row(ctx, pk, rows, row, info=info, ct=target_ct))
        return out

    def actor_notes(self, ctx: WriteContext) -> list[str]:
        """What the write's revision says of --actor (a text that is no user id is not recorded)."""
        revision = revision_info(ctx.snapshot, ctx.det.store)
        assert revision is not None
        if ctx.meta.actor and user_id(ctx.conn, revision, "user_id", ctx.meta.actor) is None:
            return [f"actor {ctx.meta.actor!r} is not a user id: {REVISION}.user_id left NULL"]
        return []

    def revision_steps(self, ctx: WriteContext, notes: list[str]) -> list[Step]:
        """The INSERT of the write's ``reversion_revision`` (--actor as the user when it is a user id); on MariaDB
        then ``SET @chrono_revision = LAST_INSERT_ID()``: every version INSERT replaces LAST_INSERT_ID()."""
        revision = revision_info(ctx.snapshot, ctx.det.store)
        assert revision is not None
        uid = user_id(ctx.conn, revision, "user_id", ctx.meta.actor)
        notes += self.actor_notes(ctx)
        steps = [Step(insert(revision.insert_table()).values(
            date_created=stamp(ctx.now, revision.columns["date_created"].type, ctx.config.timezone),
            comment=ctx.meta.reason or "", user_id=uid), f"{REVISION}: the block's revision")]
        if _mariadb(ctx):
            steps.append(Step(text(f"SET {REVISION_VAR} = LAST_INSERT_ID()"),  # type: ignore[arg-type]
                              "the revision's id, for the versions"))
        return steps

    def version_row(self, ctx: WriteContext, pk: Any, rows: Sequence[Mapping[Any, Any]], state: Mapping[Any, Any],
                    *, info: TableInfo | None = None, ct: int | None = None) -> dict[str, Any]:
        """The ``reversion_version`` row of ``state`` for the record ``pk`` (``rows``: its stored versions, newest
        first; ``info``, ``ct``: its table and content type, the live table's by default), under the revision the
        write inserted last."""
        if not rows:
            raise UnsupportedOperation(f"{ctx.det.live} {pk} has no reversion version to take its serialized "
                                       "form from")
        fields, repr_, label = self._serialize(ctx, (info or ctx.live_info).columns, rows, state)
        revision = revision_info(ctx.snapshot, ctx.det.store)
        assert revision is not None
        fmt = rows[0]["format"]
        newest = document(rows[0]["serialized_data"], fmt)
        data = formats.dump({"model": label, "pk": newest.get("pk", pk), "fields": fields}, fmt, newest)
        return {"object_id": str(pk), "content_type_id": self.content_type(ctx) if ct is None else ct,
                "db": rows[0]["db"],
                "format": rows[0]["format"], "serialized_data": data, "object_repr": repr_,
                "revision_id": literal_column(REVISION_VAR) if _mariadb(ctx) else last_id(ctx.conn, revision.table(),
                                                                                         "id")}

    @staticmethod
    def _serialize(ctx: WriteContext, columns: Mapping[str, ColumnInfo], rows: Sequence[Mapping[Any, Any]],
                   state: Mapping[Any, Any]) -> tuple[dict[str, Any], str, str]:
        """The fields of ``state`` (a row of ``columns``) as its versions serialize them, the object_repr, the
        model label."""
        tz = ctx.config.timezone
        fmt = rows[0]["format"]
        if fmt not in formats.FORMATS:
            raise UnsupportedOperation(f"{ctx.det.live}: versions are serialized in {fmt!r}; chrono writes "
                                       f"{', '.join(formats.FORMATS)}")
        docs = [document(r["serialized_data"], r["format"]) if r["format"] == fmt else {} for r in rows]
        template = docs[0].get("fields") or {}
        kinds = docs[0].get(formats.XML_ATTRS) or {}
        fields: dict[str, Any] = {}
        for name in template:
            column = field_column(name, columns)
            if column is None:
                fields[name] = template[name]  # many-to-many members or a dropped field: as last stored
                continue
            value = state.get(column)
            fields[name] = formats.encode(value, tz, fmt, (kinds.get(name) or {}).get("type") == "JSONField")
            for doc in docs:
                stored = (doc.get("fields") or {}).get(name, fields)
                try:
                    if stored is not fields and same(field_value(stored, columns[column], tz), value):
                        fields[name] = stored
                        break
                except Undecodable:
                    continue
            else:
                if fmt != "xml" and isinstance(value, str) and isinstance(template[name], dict | list):
                    fields[name] = json.loads(value)  # a JSON field kept in a text column
        repr_ = next((r["object_repr"] for r, doc in zip(rows, docs, strict=True)
                      if doc.get("fields") == fields), rows[0]["object_repr"])
        return fields, repr_, str(docs[0].get("model", ""))
