"""Picking versions of a timeline by library number, position (#N), or time; and diffs between them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chrono_cli.errors import UsageError, VersionNotFound
from chrono_cli.model import DiffView, Op, RecordView, Timeline, Version
from chrono_cli.services.diff import diff_values
from chrono_cli.services.times import looks_like_time, parse_time


def pick(tl: Timeline, spec: str | None = None, *, at: datetime | None = None, tz: str | None = None) -> Version:
    """The version named by ``spec`` (``3``, ``#3``, ``#-1``, ``current``, or a time) or valid ``at`` a time."""
    if at is not None:
        return at_time(tl, at)
    if spec is None or spec.lower() in ("current", "latest", "head"):
        return tl.versions[-1]
    s = spec.strip()
    if s.startswith("#"):
        return by_position(tl, s[1:])
    if looks_like_time(s) and not s.lstrip("-").isdigit():
        return at_time(tl, parse_time(s, tz_name=tz))
    return by_number(tl, s)


def by_position(tl: Timeline, text: str) -> Version:
    try:
        n = int(text)
    except ValueError:
        raise UsageError(f"cannot read position #{text}",
                         hint="positions are #1, #2, ... or #-1 for the last") from None
    count = len(tl.versions)
    index = n - 1 if n > 0 else count + n
    if n == 0 or not 0 <= index < count:
        raise VersionNotFound(f"no position #{n} in the history of {tl.table} {tl.key} (it has #1 to #{count})")
    return tl.versions[index]


def by_number(tl: Timeline, text: str) -> Version:
    hits = [v for v in tl.versions if v.number is not None and str(v.number) == text]
    if not hits:
        numbers = [str(v.number) for v in tl.versions if v.number is not None]
        known = f"versions: {', '.join(numbers)}" if numbers else "this history has no version numbers"
        raise VersionNotFound(f"no version {text} of {tl.table} {tl.key} ({known})",
                              hint="select by position with #N (see 'chrono history')")
    if len(hits) > 1:
        where = " or ".join(f"#{v.seq}" for v in hits)
        raise UsageError(f"version {text} of {tl.table} {tl.key} appears {len(hits)} times (the key was re-created)",
                         hint=f"select by position: {where}")
    return hits[0]


def at_time(tl: Timeline, at: datetime) -> Version:
    """The state valid at ``at``; a deletion or a time before the first version is an error."""
    if not any(v.valid_from or v.valid_to for v in tl.versions):
        raise UsageError(f"the {tl.convention} history of {tl.table} stores no timestamps",
                         hint="select a version by number or #position")
    found = None
    for v in tl.versions:
        if (v.valid_from is None or v.valid_from <= at) and (v.valid_to is None or at < v.valid_to):
            found = v
    first = tl.versions[0]
    if found is None:
        start = first.valid_from or first.valid_to
        raise VersionNotFound(f"{tl.table} {tl.key} has no recorded state at {at.isoformat()} "
                              f"(its history starts {start.isoformat() if start else 'later'})")
    if found.op is Op.DELETE:
        raise VersionNotFound(f"{tl.table} {tl.key} did not exist at {at.isoformat()} "
                              f"(deleted {found.valid_from.isoformat() if found.valid_from else 'earlier'})")
    if found.valid_from is None and found is first:
        caveat = ("the store does not record when this first version began: "
                  "if the record existed at that time, this was its state")
        return replace(found, note=f"{found.note}; {caveat}" if found.note else caveat)
    return found


def record_at(tl: Timeline, version: Version, columns: tuple[str, ...] | None = None) -> RecordView:
    """The whole record at ``version``; a deletion shows the state it removed."""
    if version.op is Op.DELETE:
        earlier = [v for v in tl.versions if v.seq < version.seq and v.values is not None]
        if not earlier:
            raise VersionNotFound(f"{tl.table} {tl.key} was deleted and no earlier state is recorded")
        version = earlier[-1]
    return RecordView(tl, version, columns or tl.columns)


def diff(tl: Timeline, old_spec: str | None = None, new_spec: str | None = None, *, show_all: bool = False,
         tz: str | None = None) -> DiffView:
    """Changes between two versions; by default the one before the newest against the newest."""
    if old_spec is None and new_spec is None:
        if len(tl.versions) < 2:
            raise VersionNotFound(f"{tl.table} {tl.key} has only one recorded version: nothing to compare")
        old, new = tl.versions[-2], tl.versions[-1]
    else:
        old = pick(tl, old_spec, tz=tz)
        new = pick(tl, new_spec, tz=tz) if new_spec is not None else tl.versions[-1]
    unknown = tuple(c for c in tl.columns
                    if (old.values is not None and c not in old.values)
                    or (new.values is not None and c not in new.values))
    changes = diff_values(old.values, new.values, tl.columns, include_same=show_all)
    return DiffView(tl, old, new, tuple(changes), unknown, show_all)
