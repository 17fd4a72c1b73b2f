"""Rails PaperTrail: one polymorphic ``versions`` table (item_type, item_id, event, whodunnit, object, created_at).

``item_type`` names the model's (base) class, mapped to its table by Rails' naming (naming.py) or by
``[tables.<table>] model``. ``object`` is the state BEFORE the event (a touch stores the state after it);
``object_changes`` the notable changes. A version here is the state an event produced: the next version's
``object`` (before a touch, completed by the event's own changes), the live row after the newest one, nothing
after a destroy.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, Text, and_, cast, null, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.actors import text_condition
from chrono_cli.conventions.base import ConventionAdapter, Detection, EventQuery, Options, ReadContext
from chrono_cli.conventions.builtin.paper_trail import codec, related
from chrono_cli.conventions.builtin.paper_trail.check import CHECK, is_store
from chrono_cli.conventions.builtin.paper_trail.naming import tableize
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.rows import as_utc, count, fetch_live
from chrono_cli.conventions.shapes.common import Entry, states_after
from chrono_cli.conventions.shapes.new_state import page_bounds, page_slice, window_rows
from chrono_cli.conventions.shapes.window import window
from chrono_cli.conventions.types import col_is, is_integer, is_text
from chrono_cli.db.reflect import ColumnInfo, SchemaSnapshot
from chrono_cli.model import FieldChange, Op, RowChange, RowKey, Version
from chrono_cli.records import Struct, replace

OPS = {"create": Op.INSERT, "destroy": Op.DELETE}
CORE = ("id", "item_type", "item_id", "event", "whodunnit", "object", "object_changes", "created_at", "item_subtype",
        "transaction_id", "{:null=>false}", "{:null=>false, :limit=>191}")


class PaperTrailOptions(Options, frozen=True):
    """The store's optional columns: object_changes, item_subtype and the application's metadata columns."""

    changes: bool
    subtype: bool
    metadata: tuple[str, ...]


def item_types(conn: Connection, store: Table, table: str, model: str | None) -> list[str]:
    """The item_type values naming ``table``: the configured model, else the classes Rails maps to it."""
    if model:
        return [model]
    found = conn.execute(select(store.c.item_type).distinct()).scalars()
    return sorted(t for t in found if t and tableize(t) == table)


class Row(Struct, frozen=True):
    """One version row, decoded: its event, the state before it and its changes (column -> (old, new))."""

    id: Any
    event: str
    at: Any
    actor: str | None
    before: dict[str, Any] | None
    changes: dict[str, tuple[Any, Any]] | None
    unknown: tuple[str, ...]
    note: str | None

    @property
    def op(self) -> Op:
        return OPS.get(self.event, Op.UPDATE)

    @property
    def touch(self) -> bool:
        return self.event == "update" and self.changes is None and self.before is not None


SKEW = "off the updated_at"


def _zone_skew(at: datetime | None, changes: Any) -> str | None:
    """How far ``created_at`` (read in the declared zone) is from the instant of the ``updated_at`` the version
    recorded, when that is a whole number of quarter hours (a zone's offset; PaperTrail stamps a version with the
    record's updated_at): ActiveRecord's default_timezone is not the zone chrono reads naive times in."""
    pair = changes.get("updated_at") if isinstance(changes, dict) else None
    if at is None or not isinstance(pair, list) or len(pair) != 2:
        return None
    new = pair[1]
    if isinstance(new, str):  # the JSON serializers: ISO 8601 in UTC, cut to milliseconds
        try:
            new = datetime.fromisoformat(new.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(new, datetime) or new.tzinfo is None:
        return None
    minutes = round((at - new).total_seconds() / 60)
    if minutes == 0 or minutes % 15:
        return None
    sign, minutes = ("-" if minutes < 0 else "+"), abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _skew_on_every_row(rows: list[Row]) -> list[Row]:
    """A zone mismatch one version shows holds for the record's other versions too (those that recorded no
    updated_at to compare with): each says so."""
    said = next((n for r in rows for n in (r.note or "").split("; ") if SKEW in n), None)
    if said is None:
        return rows
    return [r if r.note and SKEW in r.note else replace(r, note="; ".join(filter(None, (r.note, said))))
            for r in rows]


def decode_row(r: Mapping[Any, Any], columns: Mapping[str, ColumnInfo], opts: PaperTrailOptions,
               tz: str | None, table: str = "<table>") -> Row:
    """A version row's documents as column values (attributes with no column are listed, not shown)."""
    unknown: list[str] = []
    obj = codec.parse(r["object"])
    before = None
    if isinstance(obj, dict):
        before = {k: codec.column_value(v, columns[k], tz) for k, v in obj.items() if k in columns}
        unknown += [k for k in obj if k not in columns]
    changes = None
    raw = codec.parse(r["object_changes"]) if opts.changes else None
    if isinstance(raw, dict):
        changes = {}
        for k, pair in raw.items():
            if k not in columns or not isinstance(pair, list) or len(pair) != 2:
                unknown.append(k)
                continue
            changes[k] = (codec.column_value(pair[0], columns[k], tz), codec.column_value(pair[1], columns[k], tz))
    notes = [f"event '{r['event']}'"] if r["event"] not in ("create", "update", "destroy") else []
    notes += [f"{m}: {r[m]}" for m in opts.metadata if r[m] is not None]
    if unknown:
        notes.append(f"attributes with no matching column: {', '.join(sorted(set(unknown)))}")
    at = as_utc(r["created_at"], tz)
    skew = _zone_skew(at, raw)
    if skew:
        notes.append(f"created_at is {skew} {SKEW} this version recorded: the application keeps its "
                     f"times in another zone than {tz or 'UTC'} (declare it: [tables.{table}] timezone), so the "
                     "times shown are not right")
    return Row(r["id"], str(r["event"]), at,
               None if r.get("whodunnit") is None else str(r["whodunnit"]), before, changes, tuple(unknown),
               "; ".join(notes) or None)


def after_states(rows: Sequence[Row], live: Mapping[str, Any] | None) -> list[dict[str, Any] | None]:
    """The state each version produced (None after a destroy; the recorded part when the live row disagrees)."""
    out: list[dict[str, Any] | None] = []
    for i, row in enumerate(rows):
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        if row.op is Op.DELETE:
            out.append(None)
        elif row.touch and (nxt is not None or live is None or not _all_agree(row.before or {}, live)):
            out.append(dict(row.before or {}))
        elif nxt is not None and nxt.before is not None:
            state = dict(nxt.before)
            if nxt.touch:  # the touch's object is the state after it: this event's changes say what it produced
                state.update({c: new for c, (_, new) in (row.changes or {}).items()})
            out.append(state)
        else:
            recorded = {**(row.before or {}), **{c: new for c, (_, new) in (row.changes or {}).items()}}
            fits = live is not None and _all_agree({c: v for c, v in recorded.items()
                                                    if row.touch or c in (row.changes or {})}, live)
            out.append(dict(live) if fits and live is not None else recorded)
    return out


class PaperTrailAdapter(ConventionAdapter):
    """Rails PaperTrail's ``versions`` table (and custom version classes' ``*_versions`` tables)."""

    name = "paper-trail"
    filters_actor = True  # whodunnit, on PostgreSQL and MariaDB
    title = "Rails PaperTrail"
    singleton_stores = ("versions",)
    check = CHECK

    def related(self, name: str, all_names: Collection[str]) -> set[str]:
        return related(name, all_names)

    def detect(self, snapshot: SchemaSnapshot) -> Iterator[Detection]:
        stores = [t for t in snapshot if is_store(t)]
        for store in stores:
            cols = set(store.columns)
            opts = PaperTrailOptions("object_changes" in cols, "item_subtype" in cols,
                                     tuple(c for c in store.columns if c not in CORE))
            for base in snapshot:
                if base in stores or len(base.pk) != 1:
                    continue
                if not (col_is(base, base.pk[0], is_integer) or col_is(base, base.pk[0], is_text)):
                    continue
                yield Detection(self.name, base.ref, store.ref, base.pk, time_col="created_at", score=3,
                                confirm=True, options=opts,
                                evidence=(f"{store.ref} has item_type, item_id, event, object, created_at",
                                          f"{store.ref} holds rows whose item_type maps to {base.ref.name}"))

    def pair(self, snapshot: SchemaSnapshot, base: Any, store: Any) -> Detection | None:
        """``[tables.X] history = "versions"`` (with ``model``): a table whose class Rails' naming misses."""
        if not is_store(store) or len(base.pk) != 1:
            return None
        cols = set(store.columns)
        opts = PaperTrailOptions("object_changes" in cols, "item_subtype" in cols,
                                 tuple(c for c in store.columns if c not in CORE))
        return Detection(self.name, base.ref, store.ref, base.pk, time_col="created_at", score=3, options=opts,
                         evidence=(f"{store.ref} has item_type, item_id, event, object, created_at",))

    def members(self, conn: Connection, snapshot: SchemaSnapshot, det: Detection, names: Iterable[str]) -> set[str]:
        column = snapshot.tables[det.store].table().c.item_type
        tables = {tableize(t) for t in conn.execute(select(column).distinct()).scalars() if t}
        return tables & set(names)

    def count_history(self, conn: Connection, snapshot: SchemaSnapshot, det: Detection) -> int | None:
        store = snapshot.tables[det.store].table()
        return count(conn, store, store.c.item_type.in_(item_types(conn, store, det.live.name, None)))

    def rows(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Row]:
        """The record's version rows, decoded, in PaperTrail's order (created_at, then id)."""
        store = ctx.info(det.store).table()
        query = select(store).where(_record(ctx, det, key)).order_by(store.c.created_at, store.c.id)
        return _skew_on_every_row(self._decoded(ctx, det, ctx.conn.execute(query).mappings()))

    @staticmethod
    def _decoded(ctx: ReadContext, det: Detection, found: Iterable[Mapping[Any, Any]]) -> list[Row]:
        columns = ctx.info(det.live).columns
        opts = det.opts(PaperTrailOptions)
        return [decode_row(r, columns, opts, ctx.config.timezone, det.live.name) for r in found]

    def versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        return self._states(ctx, det, self.rows(ctx, det, key), fetch_live(ctx.conn, ctx.info(det.live).table(), key))

    def versions_page(self, ctx: ReadContext, det: Detection, key: RowKey, before: int | None,
                      size: int) -> list[Version] | None:
        """Version row i is version i, the live row may add one after the last. A version is the state its event
        produced, the next row's ``object``: the page's rows, the two before them and the one after, the live row
        only when the window reaches the newest row. A zone skew one row shows is noted on every row of the
        record: a record with one anywhere is read whole (None); the check reads only ``object_changes``."""
        store = ctx.info(det.store).table()
        where = _record(ctx, det, key)
        total = count(ctx.conn, store, where)
        first, last, shown = page_bounds(total, before, size)
        if shown < 1:
            return []
        if _any_skew(ctx, det, store, where):
            return None
        found = window_rows(ctx, store, where, [store.c.created_at, store.c.id], first, last, total)
        live = fetch_live(ctx.conn, ctx.info(det.live).table(), key) if last == total else None
        return page_slice(self._states(ctx, det, self._decoded(ctx, det, found), live), first, shown, size)

    def _states(self, ctx: ReadContext, det: Detection, rows: list[Row],
                live: dict[str, Any] | None) -> list[Version]:
        """The versions of consecutive version ``rows`` (oldest first), then what ``live`` adds."""
        skip = set(ctx.config.unrecorded)
        entries = []
        for row, state in zip(rows, after_states(rows, live), strict=True):
            values = None if state is None else {c: v for c, v in state.items() if c not in skip}
            entries.append(Entry(values=values, op=row.op, at=row.at, number=row.id, actor=row.actor, note=row.note))
        info = ctx.info(det.live)
        shown = [c for c in info.columns if c not in skip]
        out = states_after(entries, live, shown, tuple(skip), tuple(skip))
        return [_noted(v, entries[i].note) if i < len(entries) else v for i, v in enumerate(out)]

    def events(self, ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
        if query.group is not None:
            return []
        store = ctx.info(det.store).table()
        types = item_types(ctx.conn, store, det.live.name, ctx.config.model)
        where = and_(store.c.item_type.in_(types),
                     window(store.c.created_at, query, ctx.config.timezone, ctx.conn.dialect.name))
        if query.actor is not None and "whodunnit" in store.c:  # the caller regroups the sets
            by_actor = text_condition(ctx.conn, store.c.whodunnit, query.actor)
            where = where if by_actor is None else and_(where, by_actor)
        order = (store.c.created_at.desc(), store.c.id.desc())
        if query.light and not query.match:  # which changes only: no document read (YAML is costly to parse)
            tz, name = ctx.config.timezone, det.key[0]
            who = store.c.whodunnit if "whodunnit" in store.c else null()
            found = ctx.conn.execute(select(store.c.item_id, store.c.event, store.c.created_at, who)
                                     .where(where).order_by(*order).limit(query.limit))
            return [RowChange(det.live, RowKey(((name, item_id),)), OPS.get(str(event), Op.UPDATE), as_utc(at, tz),
                              None if actor is None else str(actor)) for item_id, event, at, actor in found]
        rows = ctx.conn.execute(select(store).where(where).order_by(*order).limit(query.limit)).mappings().all()
        columns = ctx.info(det.live).columns
        opts = det.opts(PaperTrailOptions)
        out = []
        for r in rows:
            row = decode_row(r, columns, opts, ctx.config.timezone, det.live.name)
            changes = tuple(FieldChange(c, old, new) for c, (old, new) in (row.changes or {}).items())
            note = "touch: the changes are not recorded" if row.touch else row.note
            out.append(RowChange(det.live, RowKey(((det.key[0], r["item_id"]),)), row.op, row.at, row.actor,
                                 changes=changes, note=note))
        return out


def _record(ctx: ReadContext, det: Detection, key: RowKey) -> ColumnElement[bool]:
    """The version rows of one record (its item types and id)."""
    store = ctx.info(det.store).table()
    (_, item_id), = key.items
    return and_(store.c.item_type.in_(item_types(ctx.conn, store, det.live.name, ctx.config.model)),
                store.c.item_id == item_id)


def _any_skew(ctx: ReadContext, det: Detection, store: Table, where: ColumnElement[bool]) -> bool:
    """Whether any version row of the record shows a zone skew (``_zone_skew``): only rows whose changes name
    updated_at are read, and only their time and changes."""
    if not det.opts(PaperTrailOptions).changes:
        return False
    tz = ctx.config.timezone
    found = ctx.conn.execute(select(store.c.created_at, store.c.object_changes).where(
        where, cast(store.c.object_changes, Text).contains("updated_at")))
    return any(_zone_skew(as_utc(at, tz), codec.parse(raw)) for at, raw in found)


def _all_agree(recorded: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    return all(c in live and _agrees(v, live[c]) for c, v in recorded.items())


def _agrees(recorded: Any, live: Any) -> bool:
    """A recorded value is the live one (JSON stores keep times to the millisecond only)."""
    if isinstance(recorded, datetime) and isinstance(live, datetime) and recorded.microsecond % 1000 == 0:
        return same(recorded, live.replace(microsecond=live.microsecond // 1000 * 1000))
    return same(recorded, live)


def _noted(version: Version, note: str | None) -> Version:
    """A version with the store's note about its event (custom event name, metadata columns)."""
    if note is None or note == version.note:
        return version
    return replace(version, note=note if version.note is None else f"{version.note}; {note}")
