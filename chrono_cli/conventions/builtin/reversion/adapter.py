"""django-reversion: ``reversion_version`` holds the state after a save (Django's serializer format), one per
object saved in a ``create_revision()`` block; ``reversion_revision`` holds the block's time, user and comment.

Timeline semantics chosen here (conventions.md 7E):

* a record's versions are its ``(content_type_id, object_id)`` rows ordered by id; the version number is the
  revision id (unique per object: the table's 4-column unique key), which is also the exact change set; the
  time is the revision's ``date_created``, the actor its user, the reason its comment;
* reversion records no operation: the first version is shown as the insert (note: it may be the first save
  after the model was registered), later ones as updates; a version equal to the one before (``follow``,
  a save changing only excluded fields) says "no change recorded";
* deletions are not recorded: a key without a live row is shown deleted at an unknown time; a key created
  again continues the same versions (nothing marks the gap);
* fields missing from a version's ``fields`` (``exclude``) are unrecorded there; stored keys that name no
  column (many-to-many lists, dropped fields) are not shown; the json format stores datetimes at millisecond
  precision, so the live row is compared at that precision (xml and yaml keep microseconds: formats.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, select
from sqlalchemy import types as sqltypes
from sqlalchemy.engine import Connection

from chrono_cli.conventions.actors import labels, user_link
from chrono_cli.conventions.base import ConventionAdapter, Detection, EventQuery, ReadContext
from chrono_cli.conventions.builtin.reversion import formats
from chrono_cli.conventions.checkspec import CheckSpec, MetaColumn, StoreKind
from chrono_cli.conventions.current import with_live
from chrono_cli.conventions.decode import Undecodable, decode
from chrono_cli.conventions.django_models import CONTENT_TYPES, field_column, members, store_content_type
from chrono_cli.conventions.rows import as_utc, count, fetch_live
from chrono_cli.conventions.shapes.events import timeline_changes
from chrono_cli.conventions.shapes.new_state import page_bounds, page_slice, select_window
from chrono_cli.conventions.types import is_json, is_text
from chrono_cli.db.reflect import ColumnInfo, SchemaSnapshot, TableInfo
from chrono_cli.errors import DamagedHistory
from chrono_cli.model import Op, RowChange, RowKey, TableRef, Version
from chrono_cli.records import replace

VERSION, REVISION = "reversion_version", "reversion_revision"
VERSION_COLUMNS = ("object_id", "format", "serialized_data", "object_repr", "content_type_id", "revision_id", "db")
REVISION_COLUMNS = ("date_created", "comment", "user_id")
FIRST = "first recorded version (reversion records no operation: a create, or the first save after registration)"

CHECK = CheckSpec(
    StoreKind.SHARED,
    store_meta=(MetaColumn("id", sqltypes.Integer(), nullable=False),
                MetaColumn("object_id", sqltypes.String(191), nullable=False, exact=True),
                MetaColumn("format", sqltypes.String(255), nullable=False),
                MetaColumn("serialized_data", sqltypes.Text(), nullable=False),
                MetaColumn("object_repr", sqltypes.Text(), nullable=False),
                MetaColumn("content_type_id", sqltypes.Integer(), nullable=False, exact=True),
                MetaColumn("revision_id", sqltypes.Integer(), nullable=False, exact=True),
                MetaColumn("db", sqltypes.String(191), nullable=False)),
    lone_store=lambda t: t.ref.name == VERSION)


def is_store(t: TableInfo) -> bool:
    return t.ref.name == VERSION and t.has(*VERSION_COLUMNS) and all(
        is_text(t.columns[c].type) for c in ("object_id", "serialized_data"))


def revision_info(snapshot: SchemaSnapshot, store: TableRef) -> TableInfo | None:
    info = snapshot.get(TableRef(store.schema, REVISION))
    return info if info is not None and info.has(*REVISION_COLUMNS) else None


def document(raw: Any, fmt: str = "json") -> dict[str, Any]:
    """The one object of a version's ``serialized_data`` (in its ``format``), or {} when it holds none."""
    try:
        return formats.parse(raw, fmt)
    except formats.UnknownFormat:
        return {}


def field_value(value: Any, column: ColumnInfo, tz: str | None) -> Any:
    """A serialized field as the column value (JSON fields kept in text columns as the JSON text Django writes)."""
    if isinstance(value, dict | list) and not is_json(column.type):
        return json.dumps(value)
    return decode(value, column.type, tz)


def sample_fields(conn: Connection, store: TableInfo, content_type: int) -> list[str]:
    """The field names of the newest version of a content type."""
    t = store.table()
    row = conn.execute(select(t.c.serialized_data, t.c.format).where(t.c.content_type_id == content_type)
                       .order_by(t.c.id.desc()).limit(1)).first()
    fields = None if row is None else document(row[0], row[1]).get("fields")
    return list(fields) if isinstance(fields, dict) else []


def _ms(value: Any) -> Any:
    return value.replace(microsecond=value.microsecond // 1000 * 1000) if isinstance(value, datetime) else value


class ReversionAdapter(ConventionAdapter):
    """django-reversion: versions hold the state after each save inside a revision."""

    name = "reversion"
    title = "django-reversion"
    singleton_stores = (VERSION, REVISION, CONTENT_TYPES)
    check = CHECK

    def detect(self, snapshot: SchemaSnapshot) -> Iterator[Detection]:
        for store in snapshot:
            if not is_store(store) or revision_info(snapshot, store.ref) is None:
                continue
            for base in snapshot:
                if base is store or not base.pk or base.ref.schema != store.ref.schema or len(base.pk) != 1:
                    continue
                yield Detection(self.name, base.ref, store.ref, base.pk, score=3, confirm=True,
                                evidence=(f"{store.ref} has reversion's version columns ({', '.join(VERSION_COLUMNS)})"
                                          f" and {REVISION} has {', '.join(REVISION_COLUMNS)}",
                                          f"{store.ref} holds versions of a content type naming {base.ref.name}"))

    def members(self, conn: Connection, snapshot: SchemaSnapshot, det: Detection, names: Iterable[str]) -> set[str]:
        store = snapshot.tables[det.store]
        return members(conn, snapshot, det.store, names, lambda ct: sample_fields(conn, store, ct))

    def content_type(self, ctx: ReadContext, det: Detection) -> int | None:
        store = ctx.info(det.store)
        return store_content_type(ctx, det.store, det.live, lambda ct: sample_fields(ctx.conn, store, ct))

    def count_history(self, conn: Connection, snapshot: SchemaSnapshot, det: Detection) -> int | None:
        return None  # the content type needs the table's config: counted by reading, not here

    def versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        ct = self.content_type(ctx, det)
        rows = [] if ct is None else list(ctx.conn.execute(self._query(ctx, det, ct, key)
                                                           .order_by(ctx.info(det.store).table().c.id)).mappings())
        return self.states(ctx, det, rows, fetch_live(ctx.conn, ctx.info(det.live).table(), key))

    def versions_page(self, ctx: ReadContext, det: Detection, key: RowKey, before: int | None,
                      size: int) -> list[Version] | None:
        """Version row i is version i; after the last the live row may add one (a save outside a revision, or a
        deletion, which reversion does not record). The page's rows, the two before them (the one before the page
        is told from its own predecessor: "no change recorded") and the one after (when its last version ended);
        the live row only when the window reaches the newest row. No content type: read whole (None)."""
        ct = self.content_type(ctx, det)
        if ct is None:
            return None
        v = ctx.info(det.store).table()
        (_, pk), = key.items
        total = count(ctx.conn, v, and_(v.c.content_type_id == ct, v.c.object_id == str(pk)))
        first, last, shown = page_bounds(total, before, size)
        if shown < 1:
            return []
        rows = select_window(ctx, self._query(ctx, det, ct, key), [v.c.id], first, last, total)
        live = fetch_live(ctx.conn, ctx.info(det.live).table(), key) if last == total else None
        return page_slice(self.states(ctx, det, rows, live), first, shown, size)

    def states(self, ctx: ReadContext, det: Detection, rows: Sequence[Mapping[Any, Any]],
                live: dict[str, Any] | None) -> list[Version]:
        """The versions of consecutive version ``rows`` (oldest first; the first told as the record's first),
        then what ``live`` adds."""
        live_info = ctx.info(det.live)
        revision = revision_info(ctx.snapshot, det.store)
        assert revision is not None
        actors = labels(ctx.conn, ctx.snapshot, user_link(revision, "user_id", ctx.snapshot),
                        (r["user_id"] for r in rows))
        skip = set(ctx.config.unrecorded)
        shown = [c for c in live_info.columns if c not in skip]
        out: list[Version] = []
        for r in rows:
            values, unknown = self._values(r, live_info, ctx.config.timezone)
            values = {c: v for c, v in values.items() if c not in skip}
            notes = []
            prev = out[-1].values if out else None
            if prev is not None and prev == values:
                notes.append("no change recorded")
            if unknown:
                notes.append(f"stored fields with no matching column: {', '.join(unknown)}")
            if not out:
                notes.insert(0, FIRST)
            at = as_utc(r["date_created"], ctx.config.timezone)
            if out:
                out[-1] = replace(out[-1], valid_to=at)
            user = r["user_id"]
            out.append(Version(values=values, op=Op.UPDATE if out else Op.INSERT, number=r["revision_id"],
                               valid_from=at,
                               actor=None if user is None else actors.get(user, str(user)), reason=r["comment"],
                               unrecorded=tuple(c for c in shown if c not in values) + tuple(
                                   c for c in live_info.columns if c in skip),
                               note="; ".join(notes) or None))
        cut = bool(rows) and rows[-1]["format"] == "json"  # json keeps milliseconds, xml and yaml microseconds
        compared = None if live is None else {c: _ms(v) if cut else v for c, v in live.items()}
        out = with_live(out, compared, shown, tuple(c for c in live_info.columns if c in skip),
                        entry="recorded version", bypass="a save outside a revision block, or raw SQL",
                        delete_bypass="reversion records no deletion: time unknown")
        if live is None and out and out[-1].op is Op.DELETE:  # not recorded: when is unknown
            out[-1] = replace(out[-1], valid_from=None)
        if live is not None and out and out[-1].current and out[-1].values is not None:
            out[-1] = replace(out[-1], values={c: live[c] for c in out[-1].values})
        return out

    @staticmethod
    def _query(ctx: ReadContext, det: Detection, ct: int, key: RowKey) -> Select[Any]:
        """The key's version rows, each with its revision's time, user and comment."""
        v = ctx.info(det.store).table()
        revision = revision_info(ctx.snapshot, det.store)
        assert revision is not None
        r = revision.table()
        (_, pk), = key.items
        return (select(v.c.id, v.c.revision_id, v.c.serialized_data, v.c.format, r.c.date_created, r.c.user_id,
                       r.c.comment)
                .join(r, r.c.id == v.c.revision_id)
                .where(v.c.content_type_id == ct, v.c.object_id == str(pk)))

    @staticmethod
    def _values(row: Mapping[Any, Any], live: TableInfo, tz: str | None) -> tuple[dict[str, Any], list[str]]:
        try:
            doc = formats.parse(row["serialized_data"], row["format"])
        except formats.UnknownFormat as exc:
            raise DamagedHistory(f"{VERSION} id {row['id']}: {exc}") from exc
        fields = doc.get("fields")
        if not isinstance(fields, dict):
            raise DamagedHistory(f"{VERSION} id {row['id']}: serialized_data holds no object")
        values: dict[str, Any] = {}
        unknown: list[str] = []
        try:
            if len(live.pk) == 1 and "pk" in doc:
                values[live.pk[0]] = decode(doc["pk"], live.columns[live.pk[0]].type, tz)
            for name, value in fields.items():
                column = field_column(name, live.columns)
                if column is None:
                    unknown.append(name)
                    continue
                values[column] = field_value(value, live.columns[column], tz)
        except Undecodable as exc:
            raise DamagedHistory(f"{VERSION} id {row['id']}: {exc}") from exc
        return {c: values[c] for c in live.columns if c in values}, unknown

    def events(self, ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
        """Versions in the window (or of the revision ``query.group``), each change grouped by its revision."""
        from chrono_cli.conventions.shapes.window import window

        ct = self.content_type(ctx, det)
        if ct is None or (query.group is not None and (isinstance(query.group, bool)
                                                       or not isinstance(query.group, int))):
            return []  # a change set of another store (a UUID): revisions have integer ids
        v = ctx.info(det.store).table()
        revision = revision_info(ctx.snapshot, det.store)
        assert revision is not None
        r = revision.table()
        where = (v.c.revision_id == query.group if query.group is not None
                 else window(r.c.date_created, query, ctx.config.timezone, ctx.conn.dialect.name))
        ids = ctx.conn.execute(select(v.c.object_id).join(r, r.c.id == v.c.revision_id)
                               .where(v.c.content_type_id == ct, where)
                               .order_by(r.c.date_created.desc()).limit(query.limit)).scalars().all()
        column = ctx.info(det.live).columns[det.key[0]]
        keys = [RowKey(((det.key[0], decode(i, column.type)),)) for i in ids]
        return timeline_changes(ctx, det.live, keys, query, lambda key: self.versions(ctx, det, key),
                                lambda version: version.number)
