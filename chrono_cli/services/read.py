"""The read commands as single calls: each opens one read-only transaction and returns a result."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from chrono_cli.errors import UsageError
from chrono_cli.model import DiffView, Op, RecordView, Timeline, TimelineStream, Version
from chrono_cli.records import replace
from chrono_cli.services import redact, select
from chrono_cli.services.history import filter_timeline, load_page, load_timeline, stream_timeline
from chrono_cli.services.target import Target, open_target
from chrono_cli.services.times import parse_time
from chrono_cli.services.workspace import Catalog, Workspace


def history(ws: Workspace, table: str, key: str, *, convention: str | None = None, since: str | None = None,
            until: str | None = None, limit: int | None = None, columns: str | None = None,
            all_columns: bool = False) -> Timeline:
    """A record's timeline, oldest first."""
    with ws.catalog() as cat:
        tl = _timeline(cat, table, key, convention)
    tz = ws.config.table(tl.table.name, tl.table.schema).timezone
    tl = filter_timeline(tl, since=parse_time(since, tz_name=tz) if since else None,
                         until=parse_time(until, tz_name=tz) if until else None, limit=limit)
    tl = project(tl, _columns(ws, tl, columns, all_columns))
    if columns:  # like `git log -- path`: only the versions that changed those columns
        tl = replace(tl, versions=tuple(v for v in tl.versions if v.op is not Op.UPDATE or v.changes or v.seq == 1))
    return redact.timeline(ws.config, tl, ws.settings.show_secrets)


@contextmanager
def history_stream(ws: Workspace, table: str, key: str, *, convention: str | None = None,
                   all_columns: bool = False) -> Iterator[TimelineStream]:
    """A record's whole timeline, oldest first, read while the caller prints it: the versions come from the
    store as they are consumed, so the read-only transaction stays open until the ``with`` block ends."""
    with ws.catalog() as cat:
        ts = stream_timeline(cat, open_target(cat, table), key, convention)
        default = () if all_columns else ws.config.table(ts.head.table.name, ts.head.table.schema).columns
        if any(c not in ts.head.columns for c in default):  # a column only the history holds: known at the end
            tl = ts.whole()
            ts = TimelineStream(replace(tl, versions=()), iter(tl.versions))
        columns = _columns(ws, ts.head, None, all_columns)
        if columns != ts.head.columns:
            keep = set(columns)
            ts = TimelineStream(replace(ts.head, columns=columns), (_project(v, columns, keep) for v in ts.versions))
        shown = redact.stream(ws.config, ts, ws.settings.show_secrets)
        try:
            yield shown
        finally:  # the reader stopped early (a closed pager or pipe): close the store's cursor while it is open
            close = getattr(shown.versions, "close", None)
            if close is not None:
                close()


def history_pages(ws: Workspace, table: str, key: str, *, convention: str | None = None,
                  size: int = 200) -> Iterator[Timeline]:
    """A record's timeline a page of ``size`` versions at a time, the newest page first (each oldest first, its
    versions numbered by position in the whole timeline, as ``history`` shows them): each page is one read-only
    transaction reading only its window where the store can (the table is reflected and its conventions detected once,
for the first page); else the timeline is read whole once and cut up."""
    before: int | None = None
    target: Target | None = None
    while True:
        with ws.catalog() as cat:
            if target is None:  # the table as the first page found it: every page shows the same columns
                target = open_target(cat, table)
            page = load_page(cat, target, key, convention, before, size)
            whole = load_timeline(cat, target, key, convention) if page is None else None
        if whole is not None:
            shown = _shown(ws, whole)
            for end in range(len(shown.versions), 0, -size):
                yield replace(shown, versions=shown.versions[max(0, end - size):end])
            return
        assert page is not None
        yield _shown(ws, page)
        if not page.versions or page.versions[0].seq <= 1:
            return
        before = page.versions[0].seq


def _shown(ws: Workspace, tl: Timeline) -> Timeline:
    """``tl`` as ``history`` shows it by default: the configured columns, secrets redacted."""
    return redact.timeline(ws.config, project(tl, _columns(ws, tl, None, False)), ws.settings.show_secrets)


def show(ws: Workspace, table: str, key: str, *, version: str | None = None, at: str | None = None,
         convention: str | None = None, columns: str | None = None, all_columns: bool = False) -> RecordView:
    """The whole record at a version or time (default: now)."""
    if version is not None and at is not None:
        raise UsageError("give --version or --at, not both")
    with ws.catalog() as cat:
        target = open_target(cat, table)
        tz = ws.config.table(target.ref.name, target.ref.schema).timezone
        when = parse_time(at, tz_name=tz) if at else None
        tl = load_timeline(cat, target, key, convention, at=when)
    tl = redact.timeline(ws.config, tl, ws.settings.show_secrets)
    v = select.pick(tl, version, at=when, tz=tz)
    return select.record_at(tl, v, _columns(ws, tl, columns, all_columns))


def diff(ws: Workspace, table: str, key: str, old: str | None = None, new: str | None = None, *,
         convention: str | None = None, show_all: bool = False) -> DiffView:
    """Field changes between two versions or times."""
    with ws.catalog() as cat:
        tl = _timeline(cat, table, key, convention)
    tz = ws.config.table(tl.table.name, tl.table.schema).timezone
    return redact.diff_view(ws.config, select.diff(tl, old, new, show_all=show_all, tz=tz), ws.settings.show_secrets)


def _timeline(cat: Catalog, table: str, key: str, convention: str | None) -> Timeline:
    return load_timeline(cat, open_target(cat, table), key, convention)


def _columns(ws: Workspace, tl: Timeline, columns: str | None, all_columns: bool) -> tuple[str, ...]:
    if columns:
        wanted = tuple(c.strip() for c in columns.split(",") if c.strip())
        unknown = [c for c in wanted if c not in tl.columns]
        if unknown:
            raise UsageError(f"no column {', '.join(unknown)} in {tl.table}",
                             hint=f"columns: {', '.join(tl.columns)}")
        return wanted
    if not all_columns:
        default = ws.config.table(tl.table.name, tl.table.schema).columns
        if default:
            return tuple(c for c in default if c in tl.columns)
    return tl.columns


def project(tl: Timeline, columns: tuple[str, ...]) -> Timeline:
    """The timeline restricted to ``columns`` (values and changes alike)."""
    if columns == tl.columns:
        return tl
    keep = set(columns)
    return replace(tl, columns=columns, versions=tuple(_project(v, columns, keep) for v in tl.versions))


def _project(v: Version, columns: tuple[str, ...], keep: set[str]) -> Version:
    return replace(v, values=None if v.values is None else {c: v.values[c] for c in columns if c in v.values},
                   changes=tuple(c for c in v.changes if c.column in keep),
                   unrecorded=tuple(c for c in v.unrecorded if c in keep))
