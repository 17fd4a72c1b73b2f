"""Change sets across tables: exact where the store groups changes, otherwise inferred by actor and time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chrono_cli import conventions
from chrono_cli.conventions import Detection
from chrono_cli.conventions.base import EventQuery
from chrono_cli.db.reflect import SchemaSnapshot
from chrono_cli.errors import NotFound, UnsupportedOperation, UsageError
from chrono_cli.model import ChangeList, ChangeSet, RowChange
from chrono_cli.services.keys import INT64_MAX, INT64_MIN
from chrono_cli.services.target import history_detection, open_target
from chrono_cli.services.times import parse_time
from chrono_cli.services.workspace import Catalog, Workspace

DEFAULT_WINDOW = 5.0
_FETCH_FACTOR = 20
_SHOW_SPAN = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Source:
    """One table's history store to list changes from."""

    det: Detection
    snapshot: SchemaSnapshot


def list_changes(ws: Workspace, tables: Iterable[str] = (), *, since: str | None = None, until: str | None = None,
                 actor: str | None = None, limit: int = 20, window: float = DEFAULT_WINDOW,
                 before: str | None = None) -> ChangeList:
    """The newest change sets (at most ``limit``), newest first, with a cursor for the next page."""
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    if window < 0:
        raise UsageError("--window must not be negative")
    query = EventQuery(parse_time(since) if since else None, parse_time(until) if until else None,
                       parse_time(before) if before else None, max(limit * _FETCH_FACTOR, 200))
    with ws.catalog() as cat:
        sources, notes = _sources(cat, list(tables))
        events, cut = _collect(cat, sources, query, notes)
    sets = group(events, window)
    complete = [s for s in sets if cut is None or (_oldest(s) is not None and _oldest(s) > cut)]  # type: ignore[operator]
    if cut is not None and not complete and sets:
        complete = sets[:1]
        notes.append("a change set larger than one page may be cut short")
    more = len(complete) < len(sets)
    if actor is not None:
        complete = [s for s in complete if s.actor == actor]
    page = complete[:limit]
    more = more or len(complete) > limit
    next_before = _oldest(page[-1]).isoformat() if more and page and _oldest(page[-1]) else None  # type: ignore[union-attr]
    return ChangeList(tuple(page), next_before, tuple(notes))


def show_changeset(ws: Workspace, changeset_id: str, *, window: float = DEFAULT_WINDOW) -> ChangeSet:
    """One change set by the id ``changes`` printed."""
    if not changeset_id.startswith("@"):
        return _exact(ws, changeset_id)
    try:
        newest = datetime.fromtimestamp(int(changeset_id[1:]) / 1000, tz=UTC)
        start, end = newest - _SHOW_SPAN, newest + timedelta(seconds=window, milliseconds=1)
    except (ValueError, OverflowError, OSError):
        raise UsageError(f"cannot read change set id {changeset_id!r}", hint=_ID_HINT) from None
    query = EventQuery(start, None, end, 5000)
    with ws.catalog() as cat:
        sources, notes = _sources(cat, [])
        events, _ = _collect(cat, sources, query, notes)
    for s in group(events, window):
        if s.id == changeset_id:
            return s
    raise NotFound(f"no change set {changeset_id}", hint="list them with 'chrono changes'")


_ID_HINT = "exact ids are transaction ids; inferred ones look like @1763283720000 (see 'chrono changes')"


def _exact(ws: Workspace, changeset_id: str) -> ChangeSet:
    """A change set the store recorded as one transaction (Continuum)."""
    text = changeset_id.strip()
    if not text.lstrip("-").isdigit() or not INT64_MIN <= int(text) <= INT64_MAX:
        raise UsageError(f"cannot read change set id {changeset_id!r}", hint=_ID_HINT)
    ident = int(text)
    with ws.catalog() as cat:
        sources, notes = _sources(cat, [])
        events, _ = _collect(cat, sources, EventQuery(limit=100_000, group=ident), notes)
    if not events:
        raise NotFound(f"no change set {changeset_id}", hint=_ID_HINT)
    return group(events, 0)[0]


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
    return [_changeset(s) for s in sets]


def _changeset(changes: list[RowChange]) -> ChangeSet:
    newest = changes[0]
    exact = newest.group is not None
    ident = str(newest.group) if exact else f"@{int(newest.at.timestamp() * 1000)}" if newest.at else "@unknown"
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
            found = lister.events(cat.context(src.snapshot, src.det.live), src.det, query)
        except UnsupportedOperation as exc:
            notes.append(f"{src.det.live}: {exc}")
            continue
        events += found
        slow = _unindexed_time(src)
        if slow:
            notes.append(slow)
        if len(found) >= query.limit and found[-1].at is not None:
            cut = found[-1].at if cut is None else max(cut, found[-1].at)
    blind = conventions.no_inserts(s.det.adapter for s in sources)
    if blind:
        notes.append(f"{blind} no inserts: created rows appear from their first update")
    return events, cut
