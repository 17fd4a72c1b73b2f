"""What every shape engine shares: the resolved declaration, decoded history entries, and state building.

A shape engine turns the rows of a history table into ``Entry`` values (one recorded change each, oldest
first); ``states_after`` (rows hold the state a change produced) and ``states_before`` (rows hold the state a
change replaced) turn entries into a record's versions. Built-in conventions can be expressed the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.config import Layout
from chrono_cli.conventions.base import Detection, Options, ReadContext
from chrono_cli.conventions.current import with_live
from chrono_cli.conventions.decode import Undecodable, decode, normalise_name
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.rows import as_utc, streamed
from chrono_cli.conventions.types import is_integer, is_json
from chrono_cli.errors import DamagedHistory
from chrono_cli.model import Op, RowKey, Version
from chrono_cli.records import Struct, field, replace


class Declared(Struct, frozen=True):
    """A declaration checked against the schema: the layout and the history columns that hold base values."""

    layout: Layout
    section: str                    # "[tables.invoice]", for messages
    key: tuple[str, ...]            # history columns holding the record key, in base-key order
    data: tuple[tuple[str, str], ...] = ()  # (history column, base column) of value columns (table shapes)
    surrogate: tuple[str, ...] = ()  # in-table: primary-key columns that identify a version row, not the record
    sort: tuple[str, ...] = ()       # history columns ordering one record's rows when a library fixes them

    def role(self, name: str) -> str | None:
        """The history column declared for ``name``."""
        return self.layout.role(name)

    @property
    def order(self) -> list[str]:
        """History columns that order one record's rows, oldest first."""
        if self.sort:
            return list(self.sort)
        return [c for c in (self.role("version"), self.role("changed"), self.role("valid_from")) if c][:2]


class DeclaredOptions(Options, frozen=True):
    """What a declared detection carries: the declaration resolved against the schema."""

    declared: Declared


def declared(det: Detection) -> Declared:
    """The resolved declaration a declared detection carries."""
    return det.opts(DeclaredOptions).declared


class Entry(Struct, frozen=True):
    """One recorded change: the values its row holds (None: none), what it was, when, by whom and why."""

    values: Mapping[str, Any] | None
    op: Op | None                   # None: the layout has no operation column
    at: datetime | None = None
    number: Any = None
    actor: str | None = None
    reason: str | None = None
    old: Mapping[str, Any] | None = None   # json-diff: the values before the change
    unknown: tuple[str, ...] = ()          # json-*: keys that name no column of the base table
    note: str | None = None                # what the store says about the change besides actor and reason
    unrecorded: tuple[str, ...] | None = None  # the state's unrecorded columns, when the store knows them better


class Origin(Struct, frozen=True):
    """What an old-state store can tell about a record's first known state (the insert is never a row)."""

    first: Callable[[Any], Op] = field(default=lambda number: Op.UNKNOWN)  # the first state's op, by its number
    note: str | None = "created before the first recorded change"        # on the first state
    no_history: str | None = "no history recorded"                       # on a live row with no history rows


DECLARED_ORIGIN = Origin()


class Bypass(Struct, frozen=True):
    """How a new-state store names its stored versions and the writes that skip it (for the live row's notes)."""

    entry: str = "history row"
    update: str = "a write the history did not record"
    delete: str = "no deletion recorded"
    differs: str | None = None      # the whole note of a live row the history does not end with (None: built)
    since_last: bool = True         # such a row is valid from the newest stored version (False: unknown)


DECLARED_BYPASS = Bypass()


def operation(dec: Declared, row: Mapping[Any, Any]) -> Op | None:
    """The row's operation as the layout spells it (UNKNOWN for another spelling; None without the role)."""
    col = dec.role("operation")
    if col is None:
        return None
    value = row[col]
    spelled = {dec.layout.insert: Op.INSERT, dec.layout.update: Op.UPDATE, dec.layout.delete: Op.DELETE}
    text = None if value is None else str(value).strip()
    if text in spelled:
        return spelled[text]
    upper = {k.upper(): v for k, v in spelled.items()}  # 'insert' for 'INSERT': trigger languages differ
    return upper.get((text or "").upper(), Op.UNKNOWN)


def meta(dec: Declared, row: Mapping[Any, Any], tz: str | None) -> dict[str, Any]:
    """Time, number, actor and reason of a history row."""
    when = dec.role("changed") or dec.role("valid_from")
    actor, reason = dec.role("actor"), dec.role("reason")
    return {"at": as_utc(row[when], tz) if when else None,
            "number": row[dec.role("version") or ""] if dec.role("version") else None,
            "actor": None if actor is None or row[actor] is None else str(row[actor]),
            "reason": None if reason is None or row[reason] is None else str(row[reason])}


def key_filter(table: Table, columns: Sequence[str], key: RowKey) -> ColumnElement[bool]:
    """``history_col = value`` for each key column, the history's names in base-key order."""
    return and_(*(table.c[h] == v for h, (_, v) in zip(columns, key.items, strict=True)))


def history_rows(ctx: ReadContext, det: Detection, key: RowKey, dec: Declared) -> list[Mapping[Any, Any]]:
    """The key's rows of a history table, oldest first (the layout's order, then the primary key)."""
    return list(stream_history_rows(ctx, det, key, dec))


def stream_history_rows(ctx: ReadContext, det: Detection, key: RowKey, dec: Declared) -> Iterator[Mapping[Any, Any]]:
    """``history_rows`` as the server sends them (a server-side cursor where the driver allows)."""
    store = ctx.info(det.store).table()
    order = [store.c[c] for c in dec.order] + list(store.primary_key.columns)
    yield from streamed(ctx.conn, select(store).where(key_filter(store, dec.key, key)).order_by(*order))


def count_history_rows(ctx: ReadContext, det: Detection, key: RowKey, dec: Declared) -> int:
    """How many history rows the key has."""
    store = ctx.info(det.store).table()
    return int(ctx.conn.execute(select(func.count()).select_from(store)
                                .where(key_filter(store, dec.key, key))).scalar_one())


def history_window(ctx: ReadContext, det: Detection, key: RowKey, dec: Declared, first: int, last: int,
                   total: int) -> list[Mapping[Any, Any]]:
    """The key's history rows ``first`` to ``last`` (1-based, in ``history_rows``' order) of its ``total``, read
    from the newest end (the newest pages skip the fewest rows)."""
    if last < first:
        return []
    store = ctx.info(det.store).table()
    order = [store.c[c] for c in dec.order] + list(store.primary_key.columns)
    found = ctx.conn.execute(select(store).where(key_filter(store, dec.key, key))
                             .order_by(*[c.desc() for c in order]).offset(total - last).limit(last - first + 1))
    return list(reversed(found.mappings().all()))


def row_entries(ctx: ReadContext, dec: Declared, rows: Sequence[Mapping[Any, Any]]) -> tuple[list[Entry], list[str]]:
    """History rows that copy base columns as entries, and the base columns the history records."""
    return list(iter_entries(ctx, dec, rows)), recorded_columns(ctx, dec)


def recorded_columns(ctx: ReadContext, dec: Declared) -> list[str]:
    """The base columns a table-shaped history records (declared unrecorded ones left out)."""
    skip = set(ctx.config.unrecorded)
    return [b for _, b in dec.data if b not in skip]


def iter_entries(ctx: ReadContext, dec: Declared, rows: Iterable[Mapping[Any, Any]]) -> Iterator[Entry]:
    """History rows that copy base columns as entries, one at a time."""
    skip = set(ctx.config.unrecorded)
    data = [(h, b) for h, b in dec.data if b not in skip]
    tz = ctx.config.timezone
    for r in rows:
        yield Entry(values={b: r[h] for h, b in data}, op=operation(dec, r), **meta(dec, r, tz))


def as_json(value: Any) -> Any:
    """A JSON column's value decoded (text columns hold JSON text)."""
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def row_key_filter(table: Table, column: str, key: RowKey) -> ColumnElement[bool] | None:
    """A SQL pre-filter on a shared log's row-key column (None: filter in Python only)."""
    col = table.c[column]
    if len(key.items) != 1 or is_json(col.type):
        return None
    value = key.items[0][1]
    if is_integer(col.type):
        found: ColumnElement[bool] = col == value
        return found
    return or_(col == str(value), col.like("{%"), col.like("[%"))


def key_matches(raw: Any, key: RowKey) -> bool:
    """Whether a stored row key (text, integer, JSON object or list) names ``key``."""
    raw = as_json(raw)
    if isinstance(raw, dict):
        return all(k in raw and str(raw[k]) == str(v) for k, v in key.items)
    if isinstance(raw, list):
        return [str(v) for v in raw] == [str(v) for _, v in key.items]
    if len(key.items) == 1:
        return raw is not None and str(raw) == str(key.items[0][1])
    return raw is not None and str(raw) == ",".join(str(v) for _, v in key.items)


def decode_values(ctx: ReadContext, det: Detection, doc: Any, *, loose_names: bool = False,
                  keep_unknown: bool = True, strict: bool = False) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A JSON object of column values as the base table's Python values, and its keys that name no column.

    ``loose_names``: a key names the column it equals after ``normalise_name`` (attribute names); ``keep_unknown
    =False`` leaves keys naming no column out of the values; ``strict``: an undecodable value is a damaged
    history (else the stored value is kept).
    """
    if not isinstance(doc, dict):
        return {}, ()
    columns = ctx.info(det.live).columns
    by_norm = {normalise_name(c): c for c in columns} if loose_names else {}
    out: dict[str, Any] = {}
    unknown: list[str] = []
    for name, value in doc.items():
        column_name = name if name in columns else by_norm.get(normalise_name(name)) if loose_names else None
        if column_name is None:
            unknown.append(name)
            if keep_unknown:
                out[name] = value
            continue
        try:
            out[column_name] = decode(value, columns[column_name].type, ctx.config.timezone)
        except Undecodable as exc:
            if strict:
                raise DamagedHistory(f"{det.store.name}: {exc} (column {column_name})") from exc
            out[column_name] = value
    return out, tuple(unknown)


def live_columns(ctx: ReadContext, det: Detection, skip: Sequence[str] = ()) -> list[str]:
    """Base columns shown in versions (declared unrecorded ones excluded)."""
    declared_out = set(ctx.config.unrecorded) | set(skip)
    return [c for c in ctx.info(det.live).columns if c not in declared_out]


def states_after(entries: Iterable[Entry], live: Mapping[str, Any] | None, recorded: list[str],
                 unrecorded: tuple[str, ...], cur_unrecorded: tuple[str, ...], *,
                 bypass: Bypass = DECLARED_BYPASS, live_number: Any = None,
                 equal: Callable[[Any, Any], bool] = same) -> list[Version]:
    """Versions from rows that hold the state each change produced (new-state, json-snapshot 'after').

    ``live_number`` numbers a live row the history does not end with; ``equal`` compares a stored value with
    the live one (whether the live row is the newest stored state).
    """
    return list(iter_states_after(entries, live, recorded, unrecorded, cur_unrecorded, bypass=bypass,
                                  live_number=live_number, equal=equal))


def iter_states_after(entries: Iterable[Entry], live: Mapping[str, Any] | None, recorded: list[str],
                      unrecorded: tuple[str, ...], cur_unrecorded: tuple[str, ...], *,
                      bypass: Bypass = DECLARED_BYPASS, live_number: Any = None,
                      equal: Callable[[Any, Any], bool] = same) -> Iterator[Version]:
    """``states_after`` one version at a time: a version is yielded once the next entry says when it ended."""
    last: Version | None = None
    for e in entries:
        if last is not None:
            yield replace(last, valid_to=e.at) if last.valid_to is None else last
        if e.op is Op.DELETE:
            last = Version(values=None, op=Op.DELETE, number=e.number, valid_from=e.at, actor=e.actor,
                           reason=e.reason, note=e.note)
            continue
        op = e.op
        if op is None:
            op = Op.UNKNOWN if last is None else (Op.INSERT if last.values is None else Op.UPDATE)
        values = {c: v for c, v in (e.values or {}).items() if c not in cur_unrecorded}
        missing = tuple(c for c in recorded if c not in values)
        gaps = e.unrecorded if e.unrecorded is not None else tuple(dict.fromkeys((*unrecorded, *missing)))
        last = Version(values=values, op=op, number=e.number, valid_from=e.at, actor=e.actor,
                       reason=e.reason, unrecorded=gaps, note=e.note)
    current = [c for c in recorded if c not in cur_unrecorded]
    yield from with_live([] if last is None else [last], live, current, cur_unrecorded, entry=bypass.entry,
                         bypass=bypass.update, delete_bypass=bypass.delete, differs=bypass.differs,
                         number=live_number, since_last=bypass.since_last, equal=equal)


def states_before(entries: Iterable[Entry], live: Mapping[str, Any] | None, current_cols: list[str],
                  unrecorded: tuple[str, ...], cur_unrecorded: tuple[str, ...], origin: Origin = DECLARED_ORIGIN,
                  live_number: Any = None) -> list[Version]:
    """Versions from rows that hold the state each change replaced (old-state, json-snapshot 'before').

    Row v ended at its time by its operation; its actor, reason and note describe that change, so they belong
    to the next state. A state after a recorded deletion is a re-creation the history did not record.
    """
    return list(iter_states_before(entries, live, current_cols, unrecorded, cur_unrecorded, origin, live_number))


def iter_states_before(entries: Iterable[Entry], live: Mapping[str, Any] | None, current_cols: list[str],
                       unrecorded: tuple[str, ...], cur_unrecorded: tuple[str, ...],
                       origin: Origin = DECLARED_ORIGIN, live_number: Any = None) -> Iterator[Version]:
    """``states_before`` one version at a time, as the entries come."""
    prev: Entry | None = None
    for e in entries:
        op, actor, reason, start, note = origin.first(e.number), None, None, None, origin.note
        if prev is not None and prev.op is Op.DELETE:
            yield Version(values=None, op=Op.DELETE, valid_from=prev.at, actor=prev.actor, reason=prev.reason,
                           note=prev.note)
            op, note = Op.INSERT, "re-created (the history records no inserts)"
        elif prev is not None:
            op, actor, reason, start, note = Op.UPDATE, prev.actor, prev.reason, prev.at, prev.note
        values = dict(e.values or {})
        missing = tuple(c for c in current_cols if c not in values)
        yield Version(values=values, op=op, number=e.number, valid_from=start, valid_to=e.at,
                       actor=actor, reason=reason, unrecorded=tuple(dict.fromkeys((*unrecorded, *missing))),
                       note=note)
        prev = e
    if live is not None:
        values = {c: live[c] for c in current_cols}
        if prev is None:
            yield Version(values=values, op=origin.first(live_number), number=live_number,
                           unrecorded=cur_unrecorded, current=True, note=origin.no_history)
        elif prev.op is Op.DELETE:
            yield Version(values=None, op=Op.DELETE, valid_from=prev.at, actor=prev.actor, reason=prev.reason,
                           note=prev.note)
            yield Version(values=values, op=Op.INSERT, number=live_number, unrecorded=cur_unrecorded,
                           current=True, note="re-created (the history records no inserts)")
        else:
            yield Version(values=values, op=Op.UPDATE, number=live_number, valid_from=prev.at, actor=prev.actor,
                           reason=prev.reason, unrecorded=cur_unrecorded, current=True, note=prev.note)
    elif prev is not None:
        recorded = prev.op in (Op.DELETE, None)
        yield Version(values=None, op=Op.DELETE, valid_from=prev.at if recorded else None,
                       actor=prev.actor if recorded else None, reason=prev.reason if recorded else None,
                       note=prev.note if recorded else "deleted without a recorded deletion (time unknown)")
