"""django-auditlog: ``auditlog_logentry`` holds one difference per save or delete, ``{field: [old, new]}`` with
both sides as strings (conventions.md 7F); states are rebuilt by the diff-log engine (shapes/json_diff.py).

Timeline semantics chosen here:

* a record's entries are its ``(content_type_id, object_pk)`` rows ordered by ``timestamp, id``; action 0 is
  the insert, 1 an update, 2 the delete, 3 (access) is no change and is left out; the version number is the
  entry id; actor = ``actor_id`` shown as the user's name, else ``actor_email``; no reason column: a
  ``reason`` key of ``additional_data`` is shown as the reason;
* ``"None"`` is NULL (a text column really holding "None" cannot be told apart); timestamps are naive UTC text;
  JSON is JSON text (key order is not kept, so JSON kept in text columns is shown with sorted keys); foreign
  keys are stored under the field name with the raw id; create and delete entries list every tracked field,
  so a tracked field they leave out was NULL;
* fields no entry of the table names (``exclude_fields``) and fields whose stored sides are masked
  (``mask_fields``: the first half of the characters replaced by ``*``) are never shown: not recorded;
  keys that name no column (reverse relations, many-to-many) are ignored;
* a recorded change that does not start from the state the one before left is an explicit gap: nothing is
  carried across it;
* ``cid`` (the correlation id of a request or job, when the app sets one) is the change-set id of its entries.
  Change-set ids are transaction numbers or UUIDs, and a cid is free text, so a cid that is a UUID is used as
  is and any other maps to ``uuid5(NAMESPACE_URL, "auditlog-cid:" + cid)`` (``cid_changeset``): the id
  ``changes`` prints is one ``changes show`` and ``revert`` take back; the cid itself is in the change's note.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy import types as sqltypes
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.actors import labels, user_link
from chrono_cli.conventions.base import ConventionAdapter, Detection, EventQuery, ReadContext
from chrono_cli.conventions.checkspec import JSON, CheckSpec, MetaColumn, StoreKind
from chrono_cli.conventions.decode import Undecodable, decode
from chrono_cli.conventions.django_models import CONTENT_TYPES, field_column, members, store_content_type
from chrono_cli.conventions.rows import as_utc, fetch_live
from chrono_cli.conventions.shapes.common import as_json
from chrono_cli.conventions.shapes.events import timeline_changes
from chrono_cli.conventions.shapes.json_diff import Change, diff_states
from chrono_cli.conventions.types import is_json, is_text
from chrono_cli.db.reflect import ColumnInfo, SchemaSnapshot, TableInfo
from chrono_cli.errors import DamagedHistory
from chrono_cli.model import Op, RowChange, RowKey, Version
from chrono_cli.records import Struct

STORE = "auditlog_logentry"
COLUMNS = ("object_pk", "object_id", "object_repr", "action", "changes", "timestamp", "content_type_id", "actor_id")
ACTIONS = {0: Op.INSERT, 1: Op.UPDATE, 2: Op.DELETE}
SCAN = 500  # entries of a table read to learn its tracked and masked fields
CID_PREFIX = "auditlog-cid:"

CHECK = CheckSpec(
    StoreKind.SHARED,
    store_meta=(MetaColumn("id", sqltypes.Integer(), nullable=False),
                MetaColumn("object_pk", sqltypes.String(255), nullable=False, exact=True),
                MetaColumn("object_id", sqltypes.BigInteger()),
                MetaColumn("object_repr", sqltypes.Text(), nullable=False),
                MetaColumn("action", sqltypes.SmallInteger(), nullable=False, exact=True),
                MetaColumn("changes", JSON),
                MetaColumn("timestamp", sqltypes.DateTime(timezone=True), nullable=False, timezone_matters=False),
                MetaColumn("actor_id", sqltypes.Integer()),
                MetaColumn("content_type_id", sqltypes.Integer(), nullable=False, exact=True),
                MetaColumn("changes_text", sqltypes.Text(), nullable=False)),
    lone_store=lambda t: t.ref.name == STORE)


def is_store(t: TableInfo) -> bool:
    return t.ref.name == STORE and t.has(*COLUMNS) and is_text(t.columns["object_pk"].type)


def cid_changeset(cid: Any) -> uuid.UUID | None:
    """The change-set id of the entries sharing a correlation id: the cid itself when it is a UUID, else the
    name-based UUID of ``auditlog-cid:<cid>``; None without a cid."""
    if cid is None or cid == "":
        return None
    try:
        return uuid.UUID(str(cid))
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, CID_PREFIX + str(cid))


def masked(text: Any) -> bool:
    """Whether a stored side is auditlog's mask (``mask_str``: the first half of the characters are ``*``)."""
    if not isinstance(text, str) or len(text) < 2:
        return False
    half = len(text) // 2
    return text[:half] == "*" * half


def changes_of(entry: Mapping[Any, Any]) -> dict[str, Any]:
    """The entry's ``{field: [old, new]}`` (``changes``, else the legacy ``changes_text``)."""
    doc = as_json(entry["changes"])
    if doc is None and entry.get("changes_text"):
        doc = as_json(entry["changes_text"])
    return doc if isinstance(doc, dict) else {}


class Fields(Struct, frozen=True):
    """What the table's entries say about its columns: the field name of each tracked column, the masked ones."""

    names: dict[str, str]        # column -> field name as stored
    masked: frozenset[str]


def fields_of(conn: Connection, store: TableInfo, ct: int, live: TableInfo) -> Fields:
    """The tracked and masked columns, learnt from the newest entries of the content type."""
    t = store.table()
    rows = conn.execute(select(t.c.changes, t.c.changes_text).where(t.c.content_type_id == ct)
                        .order_by(t.c.id.desc()).limit(SCAN)).mappings().all()
    names: dict[str, str] = {}
    plain: set[str] = set()
    hidden: set[str] = set()
    for row in rows:
        for name, pair in changes_of(row).items():
            column = field_column(name, live.columns)
            if column is None or not isinstance(pair, list) or len(pair) != 2:
                continue
            names.setdefault(column, name)
            (hidden if all(masked(v) for v in pair) else plain).add(column)
    return Fields(names, frozenset(hidden - plain))


def stored_value(text: Any, column: ColumnInfo, tz: str | None) -> Any:
    """One stored side as the column value (``"None"`` is NULL; JSON kept in a text column with sorted keys)."""
    if text is None or text == "None":
        return None
    if is_json(column.type):
        return json.loads(text) if isinstance(text, str) else text
    value = decode(text, column.type, tz)
    return sorted_json(value) if is_text(column.type) else value


def sorted_json(value: Any) -> Any:
    """JSON text with sorted keys when ``value`` is the text of a JSON object or array, else ``value``."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.dumps(json.loads(value), sort_keys=True)
        except ValueError:
            return value
    return value


class Reading(Struct, frozen=True):
    """What the entries of one table say: the columns not recorded and the tracked ones (a create or delete
    entry lists every tracked field that is not NULL)."""

    live: TableInfo
    store: TableInfo
    skip: set[str]
    tracked: list[str]

    def changes(self, ctx: ReadContext, rows: Sequence[Mapping[Any, Any]]) -> list[Change]:
        """Entries (in order) as recorded changes; access entries record none and are left out."""
        link = user_link(self.store, "actor_id", ctx.snapshot)
        actors = labels(ctx.conn, ctx.snapshot, link, (r["actor_id"] for r in rows))
        tz = ctx.config.timezone
        changes: list[Change] = []
        for r in rows:
            op = ACTIONS.get(r["action"])
            if op is None:
                continue  # an access entry records no change
            old, new, unknown = AuditlogAdapter._sides(r, self.live, self.skip, tz)
            if op is Op.INSERT:
                new = {**dict.fromkeys(self.tracked), **new}
            elif op is Op.DELETE:
                old = {**dict.fromkeys(self.tracked), **old}
            actor = actors.get(r["actor_id"], str(r["actor_id"])) if r["actor_id"] is not None else (
                r.get("actor_email") or None)
            extra = as_json(r.get("additional_data"))
            reason = extra.get("reason") if isinstance(extra, dict) else None
            notes = [f"cid {r['cid']}"] if r.get("cid") else []
            if unknown:
                notes.append(f"stored fields with no matching column: {', '.join(unknown)}")
            changes.append(Change(old, new, op, as_utc(r["timestamp"], tz), r["id"], actor,
                                  None if reason is None else str(reason), "; ".join(notes) or None))
        return changes

    def states(self, ctx: ReadContext, key: RowKey, changes: list[Change],
               live: dict[str, Any] | None) -> list[Version]:
        """The versions of ``changes`` (a record's, from its first or from a state set up before them) ending in
        ``live`` (None: deleted, or not the end of the record's changes)."""
        if live is not None:
            live = {c: sorted_json(v) if is_text(self.live.columns[c].type) else v for c, v in live.items()}
        shown = [c for c in self.live.columns if c not in self.skip]
        return diff_states(changes, live, shown, tuple(c for c in self.live.columns if c in self.skip),
                           key.as_dict())


class AuditlogAdapter(ConventionAdapter):
    """django-auditlog: differences only; states rebuilt by the diff-log engine, checked against the live row."""

    name = "auditlog"
    title = "django-auditlog"
    singleton_stores = (STORE, CONTENT_TYPES)
    check = CHECK

    def detect(self, snapshot: SchemaSnapshot) -> Iterator[Detection]:
        for store in snapshot:
            if not is_store(store):
                continue
            for base in snapshot:
                if base is store or not base.pk or base.ref.schema != store.ref.schema or len(base.pk) != 1:
                    continue
                yield Detection(self.name, base.ref, store.ref, base.pk, time_col="timestamp", score=3, confirm=True,
                                evidence=(f"{store.ref} has auditlog's columns ({', '.join(COLUMNS)})",
                                          f"{store.ref} holds entries of a content type naming {base.ref.name}"))

    def members(self, conn: Connection, snapshot: SchemaSnapshot, det: Detection, names: Iterable[str]) -> set[str]:
        store = snapshot.tables[det.store]
        return members(conn, snapshot, det.store, names, lambda ct: self._sample(conn, store, ct))

    @staticmethod
    def _sample(conn: Connection, store: TableInfo, ct: int) -> list[str]:
        """Field names of the newest create entry of a content type (reverse relations left out by the caller's
        fit: they name no column, so only concrete fields are asked for)."""
        t = store.table()
        row = conn.execute(select(t.c.changes, t.c.changes_text).where(t.c.content_type_id == ct, t.c.action == 0)
                           .order_by(t.c.id.desc()).limit(1)).mappings().first()
        if row is None:
            return []
        return [n for n, pair in changes_of(row).items()
                if not (isinstance(pair, list) and len(pair) == 2 and str(pair[1]).endswith(".None"))]

    def content_type(self, ctx: ReadContext, det: Detection) -> int | None:
        store = ctx.info(det.store)
        return store_content_type(ctx, det.store, det.live, lambda ct: self._sample(ctx.conn, store, ct))

    def count_history(self, conn: Connection, snapshot: SchemaSnapshot, det: Detection) -> int | None:
        return None  # the content type needs the table's config: counted by reading, not here

    def versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        ct = self.content_type(ctx, det)
        reading = self.reading(ctx, det, ct)
        rows = [] if ct is None else self.entries(ctx, det, ct, key)
        return reading.states(ctx, key, reading.changes(ctx, rows), fetch_live(ctx.conn, reading.live.table(), key))

    def versions_page(self, ctx: ReadContext, det: Detection, key: RowKey, before: int | None,
                      size: int) -> list[Version] | None:
        """A window of the record's entries, positioned by the gaps the server finds in the older ones
        (builtin/auditlog/page.py); None where the store cannot be so compared."""
        from chrono_cli.conventions.builtin.auditlog.page import page

        return page(self, ctx, det, key, before, size)

    def reading(self, ctx: ReadContext, det: Detection, ct: int | None) -> Reading:
        """How the table's entries read: its tracked and masked fields, learnt from its newest entries."""
        live_info = ctx.info(det.live)
        store = ctx.info(det.store)
        fields = Fields({}, frozenset()) if ct is None else fields_of(ctx.conn, store, ct, live_info)
        skip = set(ctx.config.unrecorded) | set(fields.masked)
        skip |= {c for c in live_info.columns if c not in fields.names and c not in live_info.pk}
        return Reading(live_info, store, skip, [c for c in fields.names if c not in skip])

    @staticmethod
    def entries(ctx: ReadContext, det: Detection, ct: int, key: RowKey) -> list[Mapping[Any, Any]]:
        t = ctx.info(det.store).table()
        (_, pk), = key.items
        return list(ctx.conn.execute(select(t).where(t.c.content_type_id == ct, t.c.object_pk == str(pk))
                                     .order_by(t.c.timestamp, t.c.id)).mappings())

    @staticmethod
    def _sides(row: Mapping[Any, Any], live: TableInfo, skip: set[str],
               tz: str | None) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
        old: dict[str, Any] = {}
        new: dict[str, Any] = {}
        unknown: list[str] = []
        for name, pair in changes_of(row).items():
            column = field_column(name, live.columns)
            if not isinstance(pair, list) or len(pair) != 2:
                continue  # a many-to-many change: {"type": "m2m", ...}
            if column is None:
                if not str(pair[0]).endswith(".None") and not str(pair[1]).endswith(".None"):
                    unknown.append(name)  # reverse relations ("<app>.<Model>.None") are no columns
                continue
            if column in skip:
                continue
            try:
                old[column] = stored_value(pair[0], live.columns[column], tz)
                new[column] = stored_value(pair[1], live.columns[column], tz)
            except (Undecodable, ValueError) as exc:
                raise DamagedHistory(f"{STORE} id {row['id']}: {exc} (field {name})") from exc
        return old, new, unknown

    def events(self, ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
        """Entries in the window (or of the change set ``query.group``: the entries of one cid)."""
        from chrono_cli.conventions.shapes.window import window

        ct = self.content_type(ctx, det)
        if ct is None:
            return []
        t = ctx.info(det.store).table()
        mine = t.c.content_type_id == ct
        when: ColumnElement[bool]
        if query.group is not None:
            if not isinstance(query.group, uuid.UUID) or "cid" not in t.c:
                return []
            cids = ctx.conn.execute(select(t.c.cid).where(mine, t.c.cid.is_not(None)).distinct()).scalars()
            named = [c for c in cids if cid_changeset(c) == query.group]
            if not named:
                return []
            when = t.c.cid.in_(named)
        else:
            when = window(t.c.timestamp, query, ctx.config.timezone, ctx.conn.dialect.name)
        ids = ctx.conn.execute(select(t.c.object_pk).where(mine, when)
                               .order_by(t.c.timestamp.desc()).limit(query.limit)).scalars().all()
        column = ctx.info(det.live).columns[det.key[0]]
        keys = [RowKey(((det.key[0], decode(i, column.type)),)) for i in ids]
        groups: dict[Any, uuid.UUID | None] = {}
        if "cid" in t.c and ids:
            found = ctx.conn.execute(select(t.c.id, t.c.cid).where(mine, t.c.object_pk.in_(set(ids)),
                                                                   t.c.cid.is_not(None)))
            groups = {r.id: cid_changeset(r.cid) for r in found}
        return timeline_changes(ctx, det.live, keys, query, lambda key: self.versions(ctx, det, key),
                                lambda version: groups.get(version.number))
