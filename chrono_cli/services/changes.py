"""Change sets across tables: exact where the store groups changes, otherwise inferred by actor and time."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from chrono_cli import conventions
from chrono_cli.conventions import Detection, actors
from chrono_cli.conventions.base import EventQuery
from chrono_cli.db.reflect import SchemaSnapshot
from chrono_cli.errors import NotFound, Refused, UnsupportedOperation, UsageError
from chrono_cli.model import ChangeList, ChangeSet, RowChange
from chrono_cli.services.attribution import attribute_changes, attributed
from chrono_cli.services.keys import INT64_MAX
from chrono_cli.services.target import history_detection, open_target
from chrono_cli.services.times import parse_time
from chrono_cli.services.workspace import Catalog, Workspace

DEFAULT_WINDOW = 5.0
MAX_CHANGES = 1_000_000  # a change set is read whole or refused, never cut short
_FETCH_FACTOR = 20
_SHOW_SPAN = timedelta(days=1)
_MAX_SPAN = timedelta(days=3660)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INFERRED = re.compile(r"^@(\d{1,16})(?:w(\d+(?:\.\d+)?))?$")


@dataclass(frozen=True, slots=True)
class InferredId:
    """An inferred change set: the time of its newest change (ms) and the grouping window that defines it."""

    newest_ms: int
    window: float | None  # None: an id printed before ids carried their window (the --window given applies)


def parse_changeset_id(text: str) -> InferredId | int | uuid.UUID:
    """A change-set id as ``chrono changes`` prints it: a transaction id, or ``@<ms>w<window>`` when inferred."""
    raw = text.strip()
    if raw.isdigit():
        if int(raw) > INT64_MAX:
            raise UsageError(f"cannot read change set id {text!r}: larger than a 64-bit transaction id")
        return int(raw)
    m = _INFERRED.match(raw)
    if m:
        return InferredId(int(m.group(1)), None if m.group(2) is None else check_window(float(m.group(2))))
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise UsageError(f"cannot read change set id {text!r}",
                         hint="exact ids are transaction ids (1234); inferred ones look like @1763283720000w5 "
                              "(see 'chrono changes')") from None


def check_window(window: float) -> float:
    """The grouping window in seconds: finite and not negative."""
    if not math.isfinite(window) or window < 0:
        raise UsageError(f"--window must be a finite number of seconds, 0 or more (not {window})")
    return round(window, 3)


@dataclass(frozen=True, slots=True)
class Source:
    """One table's history store to list changes from."""

    det: Detection
    snapshot: SchemaSnapshot


def list_changes(ws: Workspace, tables: Iterable[str] = (), *, since: str | None = None, until: str | None = None,
                 actor: str | None = None, limit: int = 20, window: float = DEFAULT_WINDOW,
                 before: str | None = None) -> ChangeList:
    """The newest change sets (at most ``limit``), newest first, with a cursor for the next page.

    ``actor`` keeps the change sets of that actor (case-insensitive); pages are read until ``limit`` of them
    are found or the history ends, so other people's newer changes never hide them.
    """
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    window = check_window(window)
    query = EventQuery(parse_time(since) if since else None, parse_time(until) if until else None,
                       parse_time(before) if before else None, max(limit * _FETCH_FACTOR, 200), actor=actor)
    found: list[ChangeSet] = []
    with ws.catalog() as cat:
        sources, notes = _sources(cat, list(tables))
        advice = [a for a in map(_unindexed_time, sources) if a]
        while True:
            events, cut = _collect(cat, sources, query, notes)
            sets = group(events, window)
            complete = [s for s in sets if cut is None or (_oldest(s) is not None and _oldest(s) > cut)]  # type: ignore[operator]
            if cut is not None and not complete and sets:
                complete = sets[:1]
                notes.append("a change set larger than one page may be cut short")
            more = len(complete) < len(sets)
            found += [s for s in complete if actor is None or _by(s, actor)]
            last = _oldest(complete[-1]) if complete else None
            if actor is None or len(found) > limit or not more or last is None:
                break
            query = replace(query, before=last)
    page = found[:limit]
    more = more or len(found) > limit
    next_before = _oldest(page[-1]).isoformat() if more and page and _oldest(page[-1]) else None  # type: ignore[union-attr]
    return ChangeList(tuple(page), next_before, tuple(dict.fromkeys(notes)), tuple(dict.fromkeys(advice)))


def _by(changeset: ChangeSet, actor: str) -> bool:
    """Whether ``actor`` (a name, case-insensitive, or a user id) made the change set."""
    return any(actors.matches(actor, c.actor, c.actor_id) for c in changeset.changes)  # the set's actor is one


def show_changeset(ws: Workspace, changeset_id: str, *, window: float = DEFAULT_WINDOW) -> ChangeSet:
    """One change set by the id ``changes`` printed, read whole (or refused when it is larger than chrono reads).

    An inferred id names its newest change and the window that grouped it, so it means the same set whatever
    ``--window`` says now and whatever happened later: the set is that change and the older changes of the same
    actor chained to it by gaps of at most the window.
    """
    ident = parse_changeset_id(changeset_id)
    if not isinstance(ident, InferredId):
        return _exact(ws, changeset_id, ident)
    window = check_window(window) if ident.window is None else ident.window
    try:
        newest = _EPOCH + timedelta(milliseconds=ident.newest_ms)
    except OverflowError:
        raise UsageError(f"change set id {changeset_id!r} names no possible time") from None
    span = _SHOW_SPAN
    with ws.catalog() as cat:
        sources, notes = _sources(cat, [])
        while True:
            # SQLite compares times at whole milliseconds, rounded: read a little past the anchor, cut exactly here
            query = EventQuery(newest - span, None, newest + timedelta(milliseconds=2), MAX_CHANGES + 1)
            events, _ = _collect(cat, sources, query, notes)
            _refuse_if_cut(changeset_id, events)
            events = [e for e in events if e.at is None or to_ms(e.at) <= ident.newest_ms]
            sets = group(events, window)
            named = [s for s in sets if _ms(s) == ident.newest_ms]
            if len(named) > 1:  # never the wrong set: two runs (two actors, or a gap under a millisecond) end then
                raise Refused(f"change set id {changeset_id} names {len(named)} change sets that end in the same "
                              "millisecond", hint="restore the rows one by one ('chrono restore TABLE KEY --at TIME')")
            found = named[0] if named and named[0] is sets[0] else None
            oldest = _oldest(found) if found else None
            if found is None or oldest is None or oldest - timedelta(seconds=window) > newest - span \
                    or span >= _MAX_SPAN:
                break
            span *= 4  # the chain may reach further back than the span read: read further
    if found is None:
        raise NotFound(f"no change set {changeset_id}", hint="list them with 'chrono changes'")
    return found


def _exact(ws: Workspace, changeset_id: str, ident: object) -> ChangeSet:
    """A change set the store recorded as one transaction (Continuum)."""
    with ws.catalog() as cat:
        sources, notes = _sources(cat, [])
        events, _ = _collect(cat, sources, EventQuery(limit=MAX_CHANGES + 1, group=ident), notes)
    _refuse_if_cut(changeset_id, events)
    if not events:
        raise NotFound(f"no change set {changeset_id}",
                       hint="exact ids are transaction ids; inferred ones look like @1763283720000w5 "
                            "(see 'chrono changes')")
    return group(events, 0)[0]


def _refuse_if_cut(changeset_id: str, events: list[RowChange]) -> None:
    if len(events) > MAX_CHANGES:
        raise Refused(f"change set {changeset_id} has more than {MAX_CHANGES:,} row changes: chrono reads a change "
                      "set whole or not at all", hint="restore the rows with 'chrono restore TABLE --at TIME "
                                                      "--all-changed-since TIME' instead")


def _seconds(window: float) -> str:
    """A window as ids spell it: 5, 0.5, 0.001 (never an exponent)."""
    return f"{window:.3f}".rstrip("0").rstrip(".")


def to_ms(at: datetime) -> int:
    """Whole milliseconds since the epoch, exactly (no float rounding: .933 stays 933)."""
    return (at - _EPOCH) // timedelta(milliseconds=1)


def _ms(s: ChangeSet) -> int | None:
    newest = s.changes[-1].at if s.changes else None
    return None if newest is None else to_ms(newest)


def group(events: list[RowChange], window: float) -> list[ChangeSet]:
    """Exact groups by transaction id; otherwise runs of one actor with gaps of at most ``window`` seconds."""
    ordered = sorted(events, key=lambda e: (e.at is None, -(e.at.timestamp() if e.at else 0)))
    sets: list[list[RowChange]] = []
    exact: dict[object, list[RowChange]] = {}
    for e in ordered:
        if e.group is not None:
            if e.group not in exact:
                exact[e.group] = []
                sets.append(exact[e.group])
            exact[e.group].append(e)
            continue
        current = sets[-1] if sets and sets[-1][0].group is None else None
        if (current is not None and current[-1].actor == e.actor and e.at is not None
                and current[-1].at is not None and (current[-1].at - e.at).total_seconds() <= window):
            current.append(e)
        else:
            sets.append([e])
    return [_changeset(s, window) for s in sets]


def _changeset(changes: list[RowChange], window: float) -> ChangeSet:
    newest = changes[0]
    exact = newest.group is not None
    ident = str(newest.group) if exact else \
        f"@{to_ms(newest.at)}w{_seconds(window)}" if newest.at else "@unknown"
    reason = next((c.reason for c in changes if c.reason), None)
    return ChangeSet(ident, newest.at, newest.actor, reason, exact, tuple(reversed(changes)))


def _oldest(s: ChangeSet) -> datetime | None:
    return s.changes[0].at if s.changes else None


def _sources(cat: Catalog, tables: list[str]) -> tuple[list[Source], list[str]]:
    notes: list[str] = []
    if tables:
        out = []
        for name in tables:
            target = open_target(cat, name)
            out.append(Source(history_detection(target), target.snapshot))
        return out, notes
    snapshot = cat.full_snapshot()
    dets = [d for d in cat.detections(snapshot) if conventions.is_history(d)]
    return [Source(d, snapshot) for d in dets], notes


def _unindexed_time(src: Source) -> str | None:
    """A note when the store's time column has no index: each page then scans the whole store."""
    column = src.det.time_col
    store = src.snapshot.get(src.det.store)
    if not column or store is None or src.det.in_table or column not in store.columns:
        return None
    if any(ix.columns[:1] == (column,) for ix in store.indexes):
        return None
    return (f"{store.ref} has no index on {column}: listing changes scans the whole store "
            f"(CREATE INDEX ON {store.ref} ({column}) makes each page constant-time)")


def _collect(cat: Catalog, sources: list[Source], query: EventQuery,
             notes: list[str]) -> tuple[list[RowChange], datetime | None]:
    """Events from every source, and the time above which the listing is complete (None: everything)."""
    events: list[RowChange] = []
    cut: datetime | None = None
    for src in sources:
        try:
            lister = conventions.of(src.det).list_changes()
            ctx = cat.context(src.snapshot, src.det.live)
            asked = replace(query, actor=None) if attributed(ctx, src.det) else query  # the row names the actor
            found = attribute_changes(ctx, src.det, lister.events(ctx, src.det, asked))
        except UnsupportedOperation as exc:
            notes.append(f"{src.det.live}: {exc}")
            continue
        events += found
        if len(found) >= query.limit and found[-1].at is not None:
            cut = found[-1].at if cut is None else max(cut, found[-1].at)
    blind = conventions.no_inserts(s.det.adapter for s in sources)
    if blind:
        notes.append(f"{blind} no inserts: created rows appear from their first update")
    return events, cut
