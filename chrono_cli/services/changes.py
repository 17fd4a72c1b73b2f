"""Change sets across tables: exact where the store groups changes, otherwise inferred by actor and time."""

from __future__ import annotations

import math
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Set
from datetime import UTC, datetime, timedelta
from operator import attrgetter

from chrono_cli import conventions
from chrono_cli.conventions import Detection, actors
from chrono_cli.conventions.base import MAX_CHANGES, ConventionAdapter, EventQuery
from chrono_cli.conventions.pickaxe import ValueMatch, touches
from chrono_cli.db.reflect import SchemaSnapshot
from chrono_cli.errors import NotFound, Refused, UnsupportedOperation, UsageError
from chrono_cli.model import ChangeList, ChangeSet, RowChange, TableRef
from chrono_cli.records import Struct, replace
from chrono_cli.services.attribution import attribute_changes, attributed
from chrono_cli.services.keys import INT64_MAX, cast_value
from chrono_cli.services.redact import secret_columns
from chrono_cli.services.target import Target, history_detection, open_target
from chrono_cli.services.times import parse_time
from chrono_cli.services.workspace import Catalog, Workspace

DEFAULT_WINDOW = 5.0
_FETCH_FACTOR = 20
_SHOW_SPAN = timedelta(days=1)
_MAX_SPAN = timedelta(days=3660)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_INFERRED = re.compile(r"^@(\d{1,16})(?:\.(\d{3}))?(?:w(\d+(?:\.\d+)?))?$")


class InferredId(Struct, frozen=True):
    """An inferred change set: the time of its newest change (ms; with the microseconds within that millisecond
    where two sets end in the same one) and the grouping window that defines it."""

    newest_ms: int
    window: float | None  # None: an id printed before ids carried their window (the --window given applies)
    micro: int | None = None  # 0-999: the microseconds after newest_ms (ids of sets ending in the same ms)


def parse_changeset_id(text: str) -> InferredId | int | uuid.UUID:
    """A change-set id as ``chrono changes`` prints it: a transaction id, or ``@<ms>w<window>`` when inferred."""
    raw = text.strip()
    if raw.isdigit():
        if int(raw) > INT64_MAX:
            raise UsageError(f"cannot read change set id {text!r}: larger than a 64-bit transaction id")
        return int(raw)
    m = _INFERRED.match(raw)
    if m:
        micro = None if m.group(2) is None else int(m.group(2))
        return InferredId(int(m.group(1)), None if m.group(3) is None else check_window(float(m.group(3))), micro)
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


class Source(Struct, frozen=True):
    """One table's history store to list changes from."""

    det: Detection
    snapshot: SchemaSnapshot
    match: ValueMatch | None = None  # the pickaxe, typed through this table's column


def list_changes(ws: Workspace, tables: Iterable[str] = (), *, since: str | None = None, until: str | None = None,
                 actor: str | None = None, limit: int = 20, window: float = DEFAULT_WINDOW,
                 before: str | None = None, column: str | None = None, value: str | None = None,
                 show_secrets: bool = False) -> ChangeList:
    """The newest change sets (at most ``limit``), newest first, with a cursor for the next page.

    ``actor`` keeps the change sets of that actor (case-insensitive); ``column`` and ``value`` (the pickaxe)
    keep the row changes that set or cleared that value (a secret column's only with ``show_secrets``: the
    answer would tell its values). Pages are read until ``limit`` sets are found or the
    history ends, so other people's newer changes never hide them.
    """
    with ws.catalog() as cat:
        return changes_in(cat, tables, since=since, until=until, actor=actor, limit=limit, window=window,
                          before=before, column=column, value=value, show_secrets=show_secrets)


def changes_in(cat: Catalog, tables: Iterable[str | Target] = (), *, since: str | None = None,
               until: str | None = None, actor: str | None = None, limit: int = 20, window: float = DEFAULT_WINDOW,
               before: str | None = None, column: str | None = None, value: str | None = None,
               show_secrets: bool = False) -> ChangeList:
    """``list_changes`` read through an open catalog (the browser asks it for many tables in one); a table already
    opened in it (a ``Target``) is not reflected again."""
    if limit < 1:
        raise UsageError("--limit must be at least 1")
    if (column is None) != (value is None):
        raise UsageError("--column and --value go together: the changes that set or cleared VALUE in COLUMN")
    window = check_window(window)
    cursor = parse_cursor(before) if before else None
    query = EventQuery(parse_time(since) if since else None, parse_time(until) if until else None,
                       cursor.at if cursor else None, max(limit * _FETCH_FACTOR, 200), actor=actor,
                       before_group=cursor.tx if cursor else None)
    found: list[ChangeSet] = []
    sources, notes = _sources(cat, list(tables))
    if column is not None and value is not None:
        sources = pickaxe_sources(sources, column, value, bool(tables))
        secret = next((s.det.live for s in sources if not show_secrets
                       and secret_columns(cat.config, s.det.live, [column])), None)
        if secret is not None:
            raise UsageError(f"{secret}.{column} is a secret (shown redacted): the changes that set a value "
                             "would tell it", hint="add --show-secrets to look for its values")
    filtered = actor is not None or column is not None
    narrowed = actor is not None and column is None and any(_narrows(src) for src in sources)
    advice = [a for src in sources if (a := _advice(src))]
    while True:
        events, cut, by_tx = _collect(cat, sources, query, notes)
        # the pickaxe reads only the matching changes: grouping them by the window could chain two of them
        # across a change it did not read (another actor's), a set no id names. Each inferred set is then
        # its moment's (window 0), which its id names whatever else happened around it.
        sets = group(events, 0 if column is not None else window)
        if narrowed and actor is not None:
            sets = _actor_sets(cat, sources, sets, actor, window)
        complete = [s for s in sets if cut is None or (_oldest(s) is not None and _oldest(s) > cut)]  # type: ignore[operator]
        if cut is not None and not complete and sets:
            complete = sets[:1]
            notes.append("a change set larger than one page may be cut short")
        kept = {id(s) for s in complete}
        complete, last = settle(complete, [], [e for s in sets if id(s) not in kept for e in s.changes], by_tx)
        more = len(complete) < len(sets)
        found += [s for s in complete if actor is None or _by(s, actor)]
        if not filtered or len(found) > limit or not more or last is None:
            break
        query = replace(query, before=last.at, before_group=last.tx)
    page, rest = found[:limit], found[limit:]
    if rest:
        page, last = settle(page, rest, [], by_tx)
    more = more or len(found) > len(page)
    next_before = last.text() if more and page and last else None
    return ChangeList(tuple(page), next_before, tuple(dict.fromkeys(notes)), tuple(dict.fromkeys(advice)))


class Cursor(Struct, frozen=True):
    """Where a page of ``changes`` ends: changes older than ``at``; where the store records transactions, those
    older than transaction ``tx`` (Continuum pages by its transaction ids, which its version table indexes)."""

    at: datetime
    tx: int | None = None

    def text(self) -> str:
        """As ``next_before`` prints it: ``2026-11-16T10:41:00+00:00``, ``...#1234`` with a transaction id."""
        return self.at.isoformat() + ("" if self.tx is None else f"#{self.tx}")


_CURSOR = re.compile(r"^(.*\S)#(\d{1,19})$")


def parse_cursor(text: str) -> Cursor:
    """``--before``: a time as users type them, or a cursor ``next_before`` printed (a time, ``#`` and a
    transaction id)."""
    m = _CURSOR.match(text.strip())
    if m is None:
        return Cursor(parse_time(text))
    if int(m.group(2)) > INT64_MAX:
        raise UsageError(f"cannot read --before {text!r}: larger than a 64-bit transaction id")
    return Cursor(parse_time(m.group(1)), int(m.group(2)))


def settle(page: list[ChangeSet], rest: list[ChangeSet], loose: list[RowChange],
           by_tx: Set[TableRef] = frozenset()) -> tuple[list[ChangeSet], Cursor | None]:
    """``page`` made safe to continue from, and its cursor: nothing read but left off the page (``rest``: whole
    sets; ``loose``: changes of sets read in part) may fall between two pages. The tables of ``by_tx``
    (Continuum) page by transaction id, below the page's oldest one, so a newer transaction left off (its time
    older) joins this page; sets with a change at the page's oldest moment join it too, so no moment is split
    (a page may then hold more than ``--limit`` sets)."""
    page, rest = list(page), list(rest)
    while page:
        tx, oldest = _oldest_tx(page, by_tx), _oldest_at(page)
        joining = [s for s in rest if _newer_tx(s, tx, by_tx) or _reaches(s.changes, oldest, by_tx)]
        if not joining:
            break
        moved = {id(s) for s in joining}
        page, rest = [*page, *joining], [s for s in rest if id(s) not in moved]
    page.sort(key=lambda s: (s.at is None, -(s.at.timestamp() if s.at else 0)))
    while len(page) > 1 and _reaches(loose, _oldest_at(page), by_tx):  # a set read in part reaches the oldest
        oldest = _oldest_at(page)  # moment: that moment waits for the next page
        tied = [s for s in page if _oldest(s) == oldest and _oldest_tx([s], by_tx) is None]
        if not tied or len(tied) == len(page):
            break
        page = [s for s in page if all(s is not t for t in tied)]
    oldest = _oldest_at(page)
    return page, None if oldest is None else Cursor(oldest, _oldest_tx(page, by_tx))


def _oldest_at(page: list[ChangeSet]) -> datetime | None:
    return min((at for s in page if (at := _oldest(s)) is not None), default=None)


def _oldest_tx(page: list[ChangeSet], by_tx: Set[TableRef]) -> int | None:
    txs = [c.group for s in page if s.exact for c in s.changes if c.table in by_tx and isinstance(c.group, int)]
    return min(txs) if txs else None


def _newer_tx(s: ChangeSet, tx: int | None, by_tx: Set[TableRef]) -> bool:
    own = _oldest_tx([s], by_tx)
    return tx is not None and own is not None and own > tx


def _reaches(changes: Iterable[RowChange], oldest: datetime | None, by_tx: Set[TableRef]) -> bool:
    """Whether a change paged by time (not by transaction) is at ``oldest`` or newer."""
    return oldest is not None and any(c.table not in by_tx and c.at is not None and c.at >= oldest for c in changes)


def _narrows(src: Source) -> bool:
    """Whether ``src``'s lister leaves other actors' changes out in SQL (``--actor``)."""
    try:
        return conventions.of(src.det).list_changes().filters_actor
    except UnsupportedOperation:
        return False


def _actor_sets(cat: Catalog, sources: list[Source], sets: list[ChangeSet], actor: str,
                window: float) -> list[ChangeSet]:
    """``sets`` grouped from changes that listers narrowed to ``actor`` in SQL, made the sets a listing of every
    actor gives: an inferred set of ``actor``'s may chain across another actor's change left out (which ends a
    set), and its id carries microseconds only where another set ends in its millisecond. So the span of each
    is read whole (every actor, every table, a little past both ends) and grouped again; the sets holding its
    changes replace it."""
    out: list[ChangeSet] = []
    for s in sets:
        oldest, newest = (s.changes[0].at, s.changes[-1].at) if s.changes else (None, None)
        if s.exact or oldest is None or newest is None or not _by(s, actor):
            out.append(s)
            continue
        pad = timedelta(milliseconds=2)
        events, _, _ = _collect(cat, sources, EventQuery(oldest - pad, newest + pad, None, MAX_CHANGES + 1), [])
        _refuse_if_cut(s.id, events)
        mine = {_identity(c) for c in s.changes}
        out += [t for t in group(events, window) if any(_identity(c) in mine for c in t.changes)]
    return out


def _identity(change: RowChange) -> tuple[object, ...]:
    return change.table, change.key, change.at, change.op, change.group


def _by(changeset: ChangeSet, actor: str) -> bool:
    """Whether ``actor`` (a name, case-insensitive, or a user id) made the change set."""
    return any(actors.matches(actor, c.actor, c.actor_id) for c in changeset.changes)  # the set's actor is one


def show_changeset(ws: Workspace, changeset_id: str, *, window: float = DEFAULT_WINDOW,
                   light: bool = False) -> ChangeSet:
    """One change set by the id ``changes`` printed, read whole (or refused when it is larger than chrono reads);
    ``light``: which changes only (``EventQuery.light``: operations and field changes may be left out).

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
            query = EventQuery(newest - span, None, newest + timedelta(milliseconds=2), MAX_CHANGES + 1,
                               light=light)
            events, _, _ = _collect(cat, sources, query, notes)
            _refuse_if_cut(changeset_id, events)
            last = _EPOCH + timedelta(microseconds=ident.newest_ms * 1000 + (999 if ident.micro is None
                                                                           else ident.micro))
            events = [e for e in events if e.at is None or e.at <= last]  # to_us(e.at) <= its micros, cheaply
            sets = group(events, window)
            named = [s for s in sets if _ms(s) == ident.newest_ms
                     and (ident.micro is None or to_us(s.changes[-1].at) % 1000 == ident.micro)]  # type: ignore[arg-type]
            if len(named) > 1:  # never the wrong set: two runs (two actors, or a gap under a millisecond) end then
                _refuse_shared(changeset_id, named, ident)
            found = named[0] if named and named[0] is sets[0] else None
            oldest = _oldest(found) if found else None
            if found is None or oldest is None or oldest - timedelta(seconds=window) > newest - span \
                    or span >= _MAX_SPAN:
                break
            span *= 4  # the chain may reach further back than the span read: read further
    if found is None:
        raise NotFound(f"no change set {changeset_id}", hint="list them with 'chrono changes'")
    # read up to its microsecond, the set is alone in its millisecond here: its id is the one the listing printed
    return found if ident.micro is None else replace(found, id=_inferred_id(found.changes[-1].at, window, micro=True))


def _refuse_shared(changeset_id: str, named: list[ChangeSet], ident: InferredId) -> None:
    """Several sets end at the moment an id names: the ids ``changes`` prints for them, or, where they end in the
    same microsecond, no id tells them apart."""
    ids = sorted({s.id for s in named})
    if ident.micro is None and len(ids) == len(named):
        raise Refused(f"change set id {changeset_id} names {len(named)} change sets that end in the same "
                      "millisecond", hint=f"name one of them: {', '.join(ids)}")
    raise Refused(f"change set id {changeset_id} names {len(named)} change sets that end in the same "
                  "microsecond", hint="restore the rows one by one ('chrono restore TABLE KEY --at TIME')")


def _exact(ws: Workspace, changeset_id: str, ident: object) -> ChangeSet:
    """A change set the store recorded as one transaction (Continuum)."""
    with ws.catalog() as cat:
        sources, notes = _sources(cat, [])
        events, _, _ = _collect(cat, sources, EventQuery(limit=MAX_CHANGES + 1, group=ident), notes)
    _refuse_if_cut(changeset_id, events)
    if not events:
        raise NotFound(f"no change set {changeset_id}",
                       hint="exact ids are transaction ids; inferred ones look like @1763283720000w5 "
                            "(see 'chrono changes')")
    return group(events, 0)[0]


def changeset_head(ws: Workspace, changeset_id: str) -> ChangeSet | None:
    """An exact change set's first row change in each table (its tables, time, actor and reason), read without the
    rest; None for an inferred id or an unknown one (``show_changeset`` says why)."""
    ident = parse_changeset_id(changeset_id)
    if isinstance(ident, InferredId):
        return None
    with ws.catalog() as cat:
        sources, notes = _sources(cat, [])
        events, _, _ = _collect(cat, sources, EventQuery(limit=1, group=ident), notes)
    return group(events, 0)[0] if events else None


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


def to_us(at: datetime) -> int:
    """Microseconds since the epoch, exactly."""
    return (at - _EPOCH) // timedelta(microseconds=1)


def _ms(s: ChangeSet) -> int | None:
    newest = s.changes[-1].at if s.changes else None
    return None if newest is None else to_ms(newest)


def group(events: list[RowChange], window: float) -> list[ChangeSet]:
    """Exact groups by transaction id; otherwise runs of one actor with gaps of at most ``window`` seconds."""
    ordered = _newest_first(events)
    # the window is whole milliseconds (check_window): exact as a timedelta, a vast one as the largest there is
    most = timedelta.max if window >= timedelta.max.total_seconds() else timedelta(seconds=window)
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
                and current[-1].at is not None and current[-1].at - e.at <= most):
            current.append(e)
        else:
            sets.append([e])
    out = [_changeset(s, window) for s in sets]
    shared = {ms for ms, n in Counter(_ms(s) for s in out if not s.exact).items() if ms is not None and n > 1}
    return [replace(s, id=_inferred_id(s.changes[-1].at, window, micro=True))
            if not s.exact and _ms(s) in shared else s for s in out]


def _newest_first(events: list[RowChange]) -> list[RowChange]:
    """``events`` newest first, those without a time last, each run of equal times in its order; where every time is
    aware (as listers give them), sorted by the times themselves: several times cheaper for 100,000 changes than
    by their ``timestamp()`` (which takes a naive time as local)."""
    if all(e.at is not None and e.at.tzinfo is not None for e in events):
        return sorted(events, key=attrgetter("at"), reverse=True)  # stable: equal times keep their order
    return sorted(events, key=lambda e: (e.at is None, -(e.at.timestamp() if e.at else 0)))


def _changeset(changes: list[RowChange], window: float) -> ChangeSet:
    newest = changes[0]
    exact = newest.group is not None
    ident = str(newest.group) if exact else _inferred_id(newest.at, window)
    reason = next((c.reason for c in changes if c.reason), None)
    return ChangeSet(ident, newest.at, newest.actor, reason, exact, tuple(reversed(changes)))


def _inferred_id(newest: datetime | None, window: float, *, micro: bool = False) -> str:
    """``@<ms>w<window>``; with ``micro`` (sets ending in the same millisecond) ``@<ms>.<µs>w<window>``, the
    microseconds within that millisecond."""
    if newest is None:
        return "@unknown"
    us = f".{to_us(newest) % 1000:03d}" if micro else ""
    return f"@{to_ms(newest)}{us}w{_seconds(window)}"


def _oldest(s: ChangeSet) -> datetime | None:
    return s.changes[0].at if s.changes else None


def _sources(cat: Catalog, tables: list[str | Target]) -> tuple[list[Source], list[str]]:
    notes: list[str] = []
    if tables:
        out = []
        for name in tables:
            target = name if isinstance(name, Target) else open_target(cat, name)
            out.append(Source(history_detection(target), target.snapshot))
        return out, notes
    snapshot = cat.full_snapshot()
    dets = [d for d in cat.detections(snapshot) if conventions.is_history(d)]
    return [Source(d, snapshot) for d in dets], notes


def _advice(src: Source) -> str | None:
    """What would make listing ``src`` faster (None: nothing, or it cannot be listed: its note says why)."""
    try:
        return _unindexed_time(src, conventions.of(src.det).list_changes())
    except UnsupportedOperation:
        return None


def _unindexed_time(src: Source, lister: ConventionAdapter) -> str | None:
    """A note when the store's time column has no index: each page then scans the whole store."""
    column = lister.listing_time(src.det)
    store = src.snapshot.get(src.det.store)
    if not column or store is None or src.det.in_table or column not in store.columns:
        return None
    if any(ix.columns[:1] == (column,) for ix in store.indexes):
        return None
    return (f"{store.ref} has no index on {column}: listing changes scans the whole store "
            f"(CREATE INDEX ON {store.ref} ({column}) makes each page constant-time)")


def _collect(cat: Catalog, sources: list[Source], query: EventQuery,
             notes: list[str]) -> tuple[list[RowChange], datetime | None, set[TableRef]]:
    """Events from every source, the time above which the listing is complete (None: everything), and the
    tables whose listing pages by transaction id."""
    events: list[RowChange] = []
    cut: datetime | None = None
    by_tx: set[TableRef] = set()
    for src in sources:
        try:
            lister = conventions.of(src.det).list_changes()
            if lister.pages_by_group:
                by_tx.add(src.det.live)
            ctx = cat.context(src.snapshot, src.det.live)
            # the row names the actor (read from the changes' values)
            asked = replace(query, actor=None, light=False) if attributed(ctx, src.det) else query
            found = attribute_changes(ctx, src.det, lister.events(ctx, src.det, replace(asked, match=src.match)))
        except UnsupportedOperation as exc:
            notes.append(f"{src.det.live}: {exc}")
            continue
        if len(found) >= query.limit and found[-1].at is not None:  # a full page: what is older is not read yet
            cut = found[-1].at if cut is None else max(cut, found[-1].at)
        match = src.match
        events += found if match is None else [e for e in found if touches(e, match)]
    blind = conventions.no_inserts(s.det.adapter for s in sources)
    if blind:
        notes.append(f"{blind} no inserts: created rows appear from their first update")
    return events, cut, by_tx


def pickaxe_sources(sources: list[Source], column: str, value: str, named: bool) -> list[Source]:
    """The sources whose table has ``column``, each with the value typed through that column's type (a value the
    column cannot hold is a usage error). Tables named on the command line must all have it."""
    out = []
    for src in sources:
        info = src.snapshot.get(src.det.live)
        if info is None or column not in info.columns:
            if named:
                raise UsageError(f"{src.det.live} has no column {column!r}",
                                 hint=f"its columns: {', '.join(info.columns) if info else '(unknown)'}")
            continue
        typed = cast_value(value, info.table().c[column].type, column, what="--value")
        out.append(replace(src, match=ValueMatch(column, typed, value)))
    if not out:
        raise UsageError(f"no versioned table has a column {column!r}")
    return out
