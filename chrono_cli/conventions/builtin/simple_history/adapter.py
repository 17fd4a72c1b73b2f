"""django-simple-history: ``<app>_historical<model>`` rows, one NEW state per ``save()`` / ``delete()``.

Timeline semantics chosen here:

* rows are ordered by ``history_date, history_id``; the version number is ``history_id``; times are
  ``history_date`` (aware UTC on PostgreSQL; naive UTC elsewhere with ``USE_TZ`` - set the table's
  ``timezone`` in chrono.toml if the app ran with ``USE_TZ=False``);
* ``+`` = insert, ``~`` = update, ``-`` = delete (values None: the stored values are the Python instance's);
* every ``save()`` writes a row: a ``~`` row equal to its predecessor is kept, with the note
  "no change recorded";
* actor = ``history_user_id``, shown as the user's username / email / name when the table its foreign key
  points at (usually ``auth_user``) has one; reason = ``history_change_reason`` ("" counts as none);
* base columns missing from the historical table (``excluded_fields``) are ``unrecorded``; historical
  columns missing from the base table (dropped fields, custom ``bases`` columns) are not shown;
* an m2m history table (``<historical>_<field>``: ``m2m_history_id`` primary key + ``history_id``) snapshots
  the members at each historical row; the parent shows them as the pseudo-column ``<field>`` (sorted member
  ids) and the note says ``tags: +3 -5`` when they changed.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from sqlalchemy import select

from chrono_cli.config import Layout, Shape
from chrono_cli.conventions.actors import labels, user_link
from chrono_cli.conventions.base import ConventionAdapter, Degradation, Detection, EventQuery, Options, ReadContext
from chrono_cli.conventions.builtin.simple_history import related
from chrono_cli.conventions.builtin.simple_history.check import CHECK, HISTORY_ID
from chrono_cli.conventions.drift import extra, retyped
from chrono_cli.conventions.memberships import change_note, member, ordered, pseudo_name
from chrono_cli.conventions.rows import fetch_live
from chrono_cli.conventions.shapes.common import (
    Bypass,
    Declared,
    Entry,
    count_history_rows,
    history_rows,
    history_window,
    key_filter,
    row_entries,
    states_after,
)
from chrono_cli.conventions.types import col, col_is, is_integer, is_text, is_timestamp
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.model import Op, RowChange, RowKey, Version
from chrono_cli.records import Struct, replace

NAME = re.compile(r"^(.+)_historical(.+)$")
ID, DATE, TYPE, REASON, USER = HISTORY_ID, "history_date", "history_type", "history_change_reason", "history_user_id"
M2M_ID = "m2m_history_id"
OPS = {"+": Op.INSERT, "~": Op.UPDATE, "-": Op.DELETE}
_CHUNK = 500
BYPASS = Bypass(update="queryset update or raw SQL", delete="queryset delete or raw SQL")


def historical_evidence(h: TableInfo) -> list[str] | None:
    """Evidence that ``h`` is a historical table (shape only), or None."""
    if h.pk != (ID,) or M2M_ID in h.columns or not col_is(h, DATE, is_timestamp):
        return None
    kind = col(h, TYPE)
    if kind is None or not is_text(kind.type) or getattr(kind.type, "length", None) != 1:
        return None
    users = [c for c in h.columns if c.startswith("history_user")]
    if REASON not in h.columns or not users:
        return None
    return [f"{h.ref.name}.{ID} primary key, {DATE} timestamp, {TYPE} char(1), {REASON}, {users[0]}"]


def tracked(h: TableInfo) -> list[str]:
    """The historical table's copies of model fields (everything not ``history_*``)."""
    return [c for c in h.columns if not c.startswith("history_")]


def _fits(h: TableInfo, b: TableInfo, *, strict: bool) -> bool:
    if not b.pk or not all(k in h.columns for k in b.pk):
        return False
    extra = [c for c in tracked(h) if c not in b.columns]
    return not extra if strict else all(h.columns[c].nullable for c in extra)


def base_of(snapshot: SchemaSnapshot, h: TableInfo) -> tuple[TableInfo, str] | None:
    """The model's table: ``<app>_<model>`` by name, else the one table holding every tracked column."""
    m = NAME.match(h.ref.name)
    if m:
        b = snapshot.sibling(h.ref, f"{m[1]}_{m[2]}")
        if b is not None and b.pk and all(k in h.columns for k in b.pk):
            return b, f"base table {b.ref.name} found by name"
    fits = [b for b in snapshot if b.ref.schema == h.ref.schema and b is not h and historical_evidence(b) is None
            and _fits(h, b, strict=True) and len(set(tracked(h)) & set(b.columns)) > len(b.pk)]
    if m and len(fits) > 1:
        fits = [b for b in fits if m[2] in b.ref.name.replace("_", "")] or fits
    if len(fits) == 1:
        return fits[0], f"base table {fits[0].ref.name} found by its columns (every tracked column, same key)"
    return None


def layout(det: Detection) -> Declared:
    """The historical table as a new-state layout: ``history_id`` numbers, ``history_date`` times, ``+ ~ -``."""
    o = det.opts(SimpleHistoryOptions)
    roles = {"version": o.history_id_column, "changed": o.date_column, "operation": o.type_column,
             "actor": o.user_column, "reason": o.reason_column}
    return Declared(Layout(Shape.NEW_STATE, roles, det.key, "+", "~", "-"), det.live.name, det.key,
                    tuple((c, c) for c in o.tracked_columns), sort=(o.date_column, o.history_id_column))


class M2MHistory(Struct, frozen=True):
    """An m2m history table: the members of one field at each historical row."""

    name: str                         # the pseudo-column shown on the parent
    field: str
    table: str
    member_columns: tuple[str, ...]
    through: str | None


class SimpleHistoryOptions(Options, frozen=True):
    """What detection learnt about one historical table."""

    user_column: str
    history_id_kind: str = "integer"  # else the type's name (uuid, ...)
    history_id_column: str = ID
    date_column: str = DATE
    type_column: str = TYPE
    reason_column: str = REASON
    actor: str | None = None
    user_table: str | None = None
    relation_column: str | None = None
    tracked_columns: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    extra_columns: tuple[str, ...] = ()
    m2m: tuple[M2MHistory, ...] = ()


def m2m_tables(snapshot: SchemaSnapshot, h: TableInfo, base: TableInfo) -> list[M2MHistory]:
    """m2m history tables of ``h``: field name, the columns that hold the member keys."""
    out: list[M2MHistory] = []
    model = NAME.match(h.ref.name)
    for t in snapshot:
        if t.ref.schema != h.ref.schema or not t.ref.name.startswith(h.ref.name + "_"):
            continue
        if t.pk != (M2M_ID,) or ID not in t.columns:
            continue
        name = t.ref.name[len(h.ref.name) + 1:]
        through = snapshot.sibling(base.ref, f"{base.ref.name}_{name}")
        members: list[str] = []
        if through is not None:
            to_base = [fk for fk in through.foreign_keys if fk.referred == base.ref][:1]
            members = [c for fk in through.foreign_keys if fk not in to_base for c in fk.columns if c in t.columns]
        if not members:
            parent = {f"{model[2]}_id", f"from_{model[2]}_id"} if model else set()
            members = [c for c in t.columns if c not in {M2M_ID, ID, "id"} | parent and c.endswith("_id")]
        if not members:
            continue
        taken = set(base.columns) | {x.name for x in out}
        out.append(M2MHistory(name if name not in taken else pseudo_name(t.ref.name, h.ref.name, taken), name,
                              str(t.ref), tuple(members), None if through is None else str(through.ref)))
    return out


def _drift(base: TableInfo, h: TableInfo, excluded: list[str]) -> list[Degradation]:
    """Base fields the historical table lacks, NOT NULL fields the base dropped, changed types."""
    out = [Degradation(f"base column {c} has no history column (excluded_fields, or a migration missed it)", c,
                       blocks_writes=False) for c in excluded]
    cols = tracked(h)
    return out + extra(base, h, cols, lambda c: h.columns[c].nullable or h.columns[c].default is not None) \
        + retyped(base, h, cols)


class SimpleHistoryAdapter(ConventionAdapter):
    """django-simple-history: each historical row is the state after a save or a delete."""

    name = "simple-history"
    filters_actor = True  # history_user_id (by id; by name through the users table, not on SQLite)
    title = "django-simple-history"
    check = CHECK

    def related(self, name: str, all_names: Collection[str]) -> set[str]:
        return related(name, all_names)

    def detect(self, snapshot: SchemaSnapshot) -> Iterator[Detection]:
        for h in snapshot:
            evidence = historical_evidence(h)
            if evidence is None:
                continue
            found = base_of(snapshot, h)
            if found is None:
                continue
            base, how = found
            evidence.append(how)
            cols = tracked(h)
            excluded = [c for c in base.columns if c not in cols]
            if excluded:
                evidence.append(f"not tracked (excluded_fields): {', '.join(excluded)}")
            users = sorted((c for c in h.columns if c.startswith("history_user")), key=lambda c: c != USER)
            link = user_link(h, users[0], snapshot)
            evidence.append(f"actor: {link.described}")
            m2m = m2m_tables(snapshot, h, base)
            evidence += [f"m2m history {x.table} shown as {x.name}" for x in m2m]
            id_type = h.columns[ID].type
            options = SimpleHistoryOptions(
                users[0], "integer" if is_integer(id_type) else type(id_type).__name__.lower(), actor=link.described,
                user_table=None if link.table is None else str(link.table),
                relation_column="history_relation_id" if "history_relation_id" in h.columns else None,
                tracked_columns=tuple(c for c in base.columns if c in cols), excluded=tuple(excluded),
                extra_columns=tuple(c for c in cols if c not in base.columns), m2m=tuple(m2m))
            yield Detection(self.name, base.ref, h.ref, base.pk, score=len(evidence), evidence=tuple(evidence),
                            options=options, degraded=tuple(_drift(base, h, excluded)))

    def versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        live = fetch_live(ctx.conn, ctx.info(det.live).table(), key)
        return self._states(ctx, det, history_rows(ctx, det, key, layout(det)), live)

    def versions_page(self, ctx: ReadContext, det: Detection, key: RowKey, before: int | None,
                      size: int) -> list[Version] | None:
        """Historical row i is version i; after the last row the live row may add one (a write the history did
        not record, or a deletion without a row). The newest page reads its rows, the one before them and the
        live row; an older page its rows, the one before them and the one after (when its last version ended)."""
        dec = layout(det)
        rows = count_history_rows(ctx, det, key, dec)
        shown = self._with_members(ctx, det, key, dec)
        if before is None:
            first = max(1, rows - size)
            live = fetch_live(ctx.conn, ctx.info(det.live).table(), key)
            states = self._states(ctx, det, history_window(ctx, det, key, dec, first, rows, rows), live, shown)
        else:
            last = min(before - 1, rows)
            if last < 1:
                return []
            first = max(1, last - size)
            window = history_window(ctx, det, key, dec, first, min(last + 1, rows), rows)
            states = self._states(ctx, det, window, None, shown)[:last - first + 1]
        return [replace(v, seq=first + i) for i, v in enumerate(states)]

    def _states(self, ctx: ReadContext, det: Detection, rows: list[Mapping[Any, Any]],
                live: dict[str, Any] | None, shown: Collection[str] | None = None) -> list[Version]:
        """The versions of consecutive historical ``rows`` (oldest first), then what ``live`` adds; ``shown``:
        the m2m fields shown (None: ``rows`` are all the record's, which tell)."""
        o = det.opts(SimpleHistoryOptions)
        dec = layout(det)
        entries, recorded = row_entries(ctx, dec, rows)
        unrecorded = tuple(c for c in ctx.info(det.live).columns if c not in recorded)
        ids = [r[ID] for r in rows]
        if shown is None:  # every row of the record: a field is shown when any of them has members
            m2m = [(x.name, by_id) for x in o.m2m if (by_id := self._members(ctx, x, ids))]
        else:
            m2m = [(x.name, self._members(ctx, x, ids)) for x in o.m2m if x.name in shown]
        link = user_link(ctx.info(det.store), o.user_column, ctx.snapshot)
        actors = labels(ctx.conn, ctx.snapshot, link, (r[o.user_column] for r in rows))
        members_before: dict[str, list[Any]] = {}
        prev: Entry | None = None
        for i, (row, e) in enumerate(zip(rows, entries, strict=True)):
            user = row[o.user_column]
            e = replace(e, actor=None if user is None else actors.get(user, str(user)))
            if e.op is not Op.DELETE:
                notes: list[str] = []
                members = {name: ordered(by_id.get(row[ID], [])) for name, by_id in m2m}
                for name, now in members.items():
                    note = change_note(name, members_before.get(name), now)
                    if note and (i or now):
                        notes.append(note)
                members_before = members
                values = dict(e.values or {}) | members
                before = None if prev is None or prev.op is Op.DELETE else prev.values
                if e.op is Op.UPDATE and before is not None and all(before.get(c) == v for c, v in values.items()):
                    notes.append("no change recorded")
                e = replace(e, values=values, note="; ".join(notes) or None)
            entries[i] = prev = e
        return states_after(entries, live, recorded, unrecorded, unrecorded, bypass=BYPASS)

    @staticmethod
    def _with_members(ctx: ReadContext, det: Detection, key: RowKey, dec: Declared) -> set[str]:
        """The m2m fields with members at any historical row of the record (those the whole timeline shows)."""
        store = ctx.info(det.store).table()
        rows = select(store.c[ID]).where(key_filter(store, dec.key, key))
        found = set()
        for m2m in det.opts(SimpleHistoryOptions).m2m:
            info = next((t for t in ctx.snapshot if str(t.ref) == m2m.table), None)
            if info is not None:
                t = info.table()
                if ctx.conn.execute(select(t.c[ID]).where(t.c[ID].in_(rows)).limit(1)).first() is not None:
                    found.add(m2m.name)
        return found

    @staticmethod
    def _members(ctx: ReadContext, m2m: M2MHistory, ids: list[Any]) -> dict[Any, list[Any]]:
        info = next((t for t in ctx.snapshot if str(t.ref) == m2m.table), None)
        if info is None:
            return {}
        t = info.table()
        columns = m2m.member_columns
        out: dict[Any, list[Any]] = {}
        for start in range(0, len(ids), _CHUNK):
            query = select(t).where(t.c[ID].in_(ids[start:start + _CHUNK])).order_by(t.c[M2M_ID])
            for row in ctx.conn.execute(query).mappings():
                out.setdefault(row[ID], []).append(member(row, columns))
        return out

    def listing_time(self, det: Detection) -> str | None:
        return det.opts(SimpleHistoryOptions).date_column

    def events(self, ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
        from chrono_cli.conventions.builtin.simple_history.events import simple_history_events

        return simple_history_events(ctx, det, query)

    def history_keys(self, ctx: ReadContext, det: Detection) -> Any:
        store = ctx.info(det.store).table()
        return select(*(store.c[k] for k in det.key)).distinct()
