"""django-pghistory: event tables (``pgh_id``, ``pgh_created_at``, ``pgh_label``, ``pgh_obj_id``,
``pgh_context_id`` + a copy of the tracked columns) written by PostgreSQL triggers; ``pghistory_context`` holds
the metadata of ``pghistory.context(...)`` blocks (conventions.md 7G).

Timeline semantics chosen here:

* a record's events are the rows with ``pgh_obj_id`` = its key, ordered by ``pgh_id`` (the version number);
  ``insert`` and ``update`` hold the state after the change, ``delete`` the state at deletion (the record is
  absent afterwards); any other label is a manual event (``pghistory.create_event``): a snapshot, shown as an
  update with the label in its note; the time is ``pgh_created_at`` (the transaction's start);
* actor = the context metadata's ``user`` (shown as ``auth_user.username`` when it is a user id), reason = its
  ``reason``, its other keys (``url``, app keys) are shown in the note; without a context all are unknown. The
  metadata is read from ``pghistory_context``, or from the event's own ``pgh_context`` JSON column when the app
  denormalizes it (``PGHISTORY_CONTEXT_FIELD = ContextJSONField()``: no context table);
* the change set of an event is its context (``pgh_context_id``, a UUID: one ``pghistory.context()`` block,
  which may span transactions); events without a context are grouped by actor and time;
* the tracked model's table is ``<app>_<model>`` for ``<app>_<model>event``, else the one table holding every
  tracked column; base columns the event table lacks (``exclude``) are not recorded;
* triggers see every writer (queryset updates, raw SQL), so a live row that differs from the newest event
  means the triggers were off; a row gone without a ``delete`` event was deleted untracked (``track()``
  without ``DeleteEvent``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy import types as sqltypes

from chrono_cli.conventions.actors import UserLink, labels
from chrono_cli.conventions.base import ConventionAdapter, Detection, EventQuery, Options, ReadContext
from chrono_cli.conventions.builtin.pghistory import CONTEXTS, related
from chrono_cli.conventions.checkspec import CheckSpec, MetaColumn, Rule, StoreKind
from chrono_cli.conventions.rows import as_utc, count, fetch_live
from chrono_cli.conventions.shapes.common import Entry, as_json, states_after
from chrono_cli.conventions.shapes.events import timeline_changes
from chrono_cli.conventions.shapes.new_state import page_bounds, page_slice, select_window
from chrono_cli.conventions.types import col_is, is_text, is_timestamp
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.model import Op, RowChange, RowKey, TableRef, Version
from chrono_cli.records import replace

ID, CREATED, LABEL, OBJ, CONTEXT = "pgh_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "pgh_context_id"
CONTEXT_JSON = "pgh_context"  # ContextJSONField: the metadata denormalized into each event
SHOWN = ("user", "reason")  # metadata keys shown as actor and reason; the others go to the note
OPS = {"insert": Op.INSERT, "update": Op.UPDATE, "delete": Op.DELETE}

CHECK = CheckSpec(
    StoreKind.PAIRED, frozenset({Rule.COPY_COLUMNS}),
    store_meta=(MetaColumn(ID, sqltypes.Integer(), nullable=False, exact=True),
                MetaColumn(CREATED, sqltypes.DateTime(timezone=True), nullable=False),
                MetaColumn(LABEL, sqltypes.Text(), nullable=False),
                MetaColumn(OBJ, sqltypes.Integer(), nullable=False, exact=True),
                MetaColumn(CONTEXT, sqltypes.Uuid()),
                MetaColumn(CONTEXT_JSON, sqltypes.JSON(), optional=True)),  # ContextJSONField
    hides_columns=True, store_suffix="event")


def is_event_table(t: TableInfo) -> bool:
    return (t.pk == (ID,) and col_is(t, CREATED, is_timestamp) and col_is(t, LABEL, is_text)
            and OBJ in t.columns)


def tracked(event: TableInfo) -> list[str]:
    """The event table's copies of model fields."""
    return [c for c in event.columns if not c.startswith("pgh_")]


def base_of(snapshot: SchemaSnapshot, event: TableInfo) -> tuple[TableInfo, str] | None:
    """The tracked table: ``<app>_<model>`` by name, else the one table holding every tracked column."""
    cols = tracked(event)
    if event.ref.name.endswith("event"):
        b = snapshot.sibling(event.ref, event.ref.name[:-len("event")])
        if b is not None and len(b.pk) == 1 and b.pk[0] in cols:
            return b, f"tracked table {b.ref.name} found by name"
    fits = [b for b in snapshot if b.ref.schema == event.ref.schema and not is_event_table(b) and len(b.pk) == 1
            and b.pk[0] in cols and all(c in b.columns for c in cols)]
    if len(fits) == 1:
        return fits[0], f"tracked table {fits[0].ref.name} found by its columns (every tracked column)"
    return None


class PghistoryOptions(Options, frozen=True):
    """The tracked columns, the excluded ones, the context table."""

    tracked: tuple[str, ...]
    excluded: tuple[str, ...]
    contexts: str | None


class PghistoryAdapter(ConventionAdapter):
    """django-pghistory: each event row is a snapshot the triggers wrote."""

    name = "pghistory"
    title = "django-pghistory"
    check = CHECK
    singleton_stores = (CONTEXTS,)

    def related(self, name: str, all_names: Collection[str]) -> set[str]:
        return related(name, all_names)

    def detect(self, snapshot: SchemaSnapshot) -> Iterator[Detection]:
        for event in snapshot:
            if not is_event_table(event):
                continue
            found = base_of(snapshot, event)
            if found is None:
                continue
            base, how = found
            cols = tracked(event)
            excluded = tuple(c for c in base.columns if c not in cols)
            contexts = snapshot.sibling(event.ref, CONTEXTS)
            evidence = [f"{event.ref.name}: {ID} primary key, {CREATED} timestamp, {LABEL} text, {OBJ}", how]
            if excluded:
                evidence.append(f"not tracked (exclude): {', '.join(excluded)}")
            if contexts is not None:
                evidence.append(f"contexts in {contexts.ref.name}")
            yield Detection(self.name, base.ref, event.ref, base.pk, version_col=None, time_col=CREATED,
                            score=len(evidence), evidence=tuple(evidence),
                            options=PghistoryOptions(tuple(c for c in base.columns if c in cols), excluded,
                                                     None if contexts is None else str(contexts.ref)))

    def versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        rows = ctx.conn.execute(self._query(ctx, det, key).order_by(ctx.info(det.store).table().c[ID]))
        return self.states(ctx, det, rows.mappings().all(), fetch_live(ctx.conn, ctx.info(det.live).table(), key))

    def versions_page(self, ctx: ReadContext, det: Detection, key: RowKey, before: int | None,
                      size: int) -> list[Version] | None:
        """Event i is version i (each holds its whole state); after the last event the live row may add one (a
        write with the triggers off, or a deletion without an event). The page's events, the one before them
        (its changes are from it) and the one after (when its last version ended); the live row only when the
        window reaches the newest event."""
        event = ctx.info(det.store).table()
        (_, pk), = key.items
        where = event.c[OBJ] == pk
        total = count(ctx.conn, event, where)
        first, last, shown = page_bounds(total, before, size)
        if shown < 1:
            return []
        rows = select_window(ctx, self._query(ctx, det, key), [event.c[ID]], first, last, total)
        live = fetch_live(ctx.conn, ctx.info(det.live).table(), key) if last == total else None
        return page_slice(self.states(ctx, det, rows, live), first, shown, size)

    def _query(self, ctx: ReadContext, det: Detection, key: RowKey) -> Select[Any]:
        """The record's events, each with its context's metadata (``pgh_metadata``) where the store keeps it."""
        o = det.opts(PghistoryOptions)
        event = ctx.info(det.store).table()
        contexts = ctx.snapshot.get(TableRef(det.store.schema, CONTEXTS)) if o.contexts else None
        (_, pk), = key.items
        if CONTEXT_JSON in event.c:
            return select(event, event.c[CONTEXT_JSON].label("pgh_metadata")).where(event.c[OBJ] == pk)
        if contexts is not None and CONTEXT in event.c:
            c = contexts.table()
            return (select(event, c.c.metadata.label("pgh_metadata"))
                    .outerjoin(c, c.c.id == event.c[CONTEXT]).where(event.c[OBJ] == pk))
        return select(event).where(event.c[OBJ] == pk)

    def states(self, ctx: ReadContext, det: Detection, rows: Sequence[Mapping[Any, Any]],
                live: dict[str, Any] | None) -> list[Version]:
        """The versions of consecutive events ``rows`` (oldest first), then what ``live`` adds."""
        o = det.opts(PghistoryOptions)
        metas = [as_json(r.get("pgh_metadata")) or {} for r in rows]
        link = UserLink("user", TableRef(det.store.schema, "auth_user"), "id")  # Django's user ids, when present
        actors = labels(ctx.conn, ctx.snapshot, link, (m.get("user") for m in metas if isinstance(m, dict)
                                                       and isinstance(m.get("user"), int)))
        skip = set(ctx.config.unrecorded)
        recorded = [c for c in o.tracked if c not in skip]
        tz = ctx.config.timezone
        entries: list[Entry] = []
        for r, m in zip(rows, metas, strict=True):
            label = r[LABEL]
            op = OPS.get(label, Op.UPDATE)
            user = m.get("user") if isinstance(m, dict) else None
            reason = m.get("reason") if isinstance(m, dict) else None
            notes = [] if label in OPS else [f"event '{label}' (a snapshot pghistory.create_event wrote)"]
            if isinstance(m, dict) and any(k not in SHOWN for k in m):
                notes.append("context " + ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}"
                                                    for k, v in m.items() if k not in SHOWN))
            note = "; ".join(notes) or None
            entries.append(Entry(values=None if op is Op.DELETE else {c: r[c] for c in recorded}, op=op,
                                 at=as_utc(r[CREATED], tz), number=r[ID],
                                 actor=None if user is None else actors.get(user, str(user)),
                                 reason=None if reason is None else str(reason), note=note))
        versions = states_after(entries, live, recorded,
                                tuple(c for c in ctx.info(det.live).columns if c not in recorded),
                                tuple(c for c in ctx.info(det.live).columns if c not in recorded))
        if versions and versions[-1].op is Op.DELETE and versions[-1].number is None:
            # gone without a delete event: when is unknown (not the last event's time)
            versions[-1] = replace(versions[-1], valid_from=None)
        noted = {e.number: e.note for e in entries if e.note}  # states_after may carry them already
        return [replace(v, note="; ".join(filter(None, (noted[v.number], v.note))))
                if v.number in noted and noted[v.number] not in (v.note or "") else v for v in versions]

    def events(self, ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
        """Events in the window (or of the context ``query.group``), grouped by their context."""
        from chrono_cli.conventions.shapes.window import window

        event = ctx.info(det.store).table()
        has_context = CONTEXT in event.c
        if query.group is not None:
            if not isinstance(query.group, uuid.UUID) or not has_context:
                return []
            when = event.c[CONTEXT] == query.group
        else:
            when = window(event.c[CREATED], query, ctx.config.timezone, ctx.conn.dialect.name)
        ids = ctx.conn.execute(select(event.c[OBJ]).where(when)
                               .order_by(event.c[CREATED].desc()).limit(query.limit)).scalars().all()
        keys = [RowKey(((det.key[0], i),)) for i in ids]
        groups: dict[int, uuid.UUID] = {}
        if has_context and ids:
            found = ctx.conn.execute(select(event.c[ID], event.c[CONTEXT])
                                     .where(event.c[OBJ].in_(set(ids)), event.c[CONTEXT].is_not(None)))
            groups = {r[0]: r[1] if isinstance(r[1], uuid.UUID) else uuid.UUID(str(r[1])) for r in found}
        return timeline_changes(ctx, det.live, keys, query, lambda key: self.versions(ctx, det, key),
                                lambda version: groups.get(version.number))
