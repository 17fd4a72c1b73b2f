"""Picking versions of a timeline by library number, position (pN), or time; and diffs between them.

Positions are written ``p3`` (the third entry of the timeline) and ``p-1`` (the last): a plain word that no
shell expands (bash, zsh and fish leave letters, digits and a hyphen alone). ``#3`` still works as an alias, but
unquoted it starts a shell comment, so chrono never prints it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from chrono_cli.errors import UsageError, VersionNotFound
from chrono_cli.model import DiffView, Op, RecordView, Timeline, Version
from chrono_cli.records import replace
from chrono_cli.services.diff import diff_values, same
from chrono_cli.services.times import looks_like_time, parse_time

_POSITION = re.compile(r"[pP](-?\d+)")
POSITION_HINT = "positions are p1, p2, ... and p-1 for the last (see 'chrono history')"


def position(seq: int) -> str:
    """How chrono writes a position, the form ``--version`` and ``diff`` take back."""
    return f"p{seq}"


def pick(tl: Timeline, spec: str | None = None, *, at: datetime | None = None, tz: str | None = None) -> Version:
    """The version named by ``spec`` (``3``, ``p3``, ``p-1``, ``current``, or a time) or valid ``at`` a time."""
    if at is not None:
        return at_time(tl, at)
    if spec is None or spec.strip().lower() in ("current", "latest", "head"):
        return tl.versions[-1]
    s = spec.strip()
    if not s:
        raise UsageError("empty version", hint=f"give a version number, a position or a time; {POSITION_HINT}")
    m = _POSITION.fullmatch(s)
    if m or s.startswith("#"):
        return by_position(tl, m.group(1) if m else s[1:], s)
    if looks_like_time(s) and not s.lstrip("-").isdigit():
        return at_time(tl, parse_time(s, tz_name=tz))
    return by_number(tl, s)


def by_position(tl: Timeline, text: str, spec: str | None = None) -> Version:
    """The version at position ``text`` (``3``, or ``-1`` for the last)."""
    try:
        n = int(text)
    except ValueError:
        raise UsageError(f"cannot read position {spec or text!r}", hint=POSITION_HINT) from None
    count = len(tl.versions)
    index = n - 1 if n > 0 else count + n
    if n == 0 or not 0 <= index < count:
        raise VersionNotFound(f"no position {position(n)} in the history of {tl.table} {tl.key} "
                              f"(it has {position(1)} to {position(count)})", hint=POSITION_HINT)
    return tl.versions[index]


def by_number(tl: Timeline, text: str) -> Version:
    hits = [v for v in tl.versions if v.number is not None and str(v.number) == text]
    if not hits:
        numbers = [str(v.number) for v in tl.versions if v.number is not None]
        known = f"versions: {', '.join(numbers)}" if numbers else "this history has no version numbers"
        raise VersionNotFound(f"no version {text} of {tl.table} {tl.key} ({known})",
                              hint=f"select by position instead: {POSITION_HINT}")
    if len(hits) > 1:
        where = " or ".join(position(v.seq) for v in hits)
        raise UsageError(f"version {text} of {tl.table} {tl.key} appears {len(hits)} times (the key was re-created)",
                         hint=f"select by position: {where}")
    return hits[0]


def at_time(tl: Timeline, at: datetime) -> Version:
    """The state valid at ``at``; a deletion, a time before the first version or in the future is an error."""
    now = datetime.now(UTC)
    if at > now:
        raise UsageError(f"{at.isoformat()} is in the future (it is now {now.isoformat(timespec='seconds')})",
                         hint="leave out the time for the current state")
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
    if found is tl.versions[-1] and found.valid_from is not None and found.valid_to is None:
        latest = (f"{at.isoformat()} is after the last recorded change ({found.valid_from.isoformat()}): "
                  "this is the latest state")
        return replace(found, note=f"{found.note}; {latest}" if found.note else latest)
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
    return compare(tl, old, new, show_all=show_all)


def compare(tl: Timeline, old: Version, new: Version, *, show_all: bool = False) -> DiffView:
    """The changes from ``old`` to ``new``, two versions of ``tl``'s record, over its columns."""
    unknown = tuple(c for c in tl.columns
                    if (old.values is not None and c not in old.values)
                    or (new.values is not None and c not in new.values))
    changes = diff_values(old.values, new.values, tl.columns, include_same=show_all)
    unchanged = tuple(c.column for c in changes if same(c.old, c.new)) if show_all else ()
    return DiffView(tl, old, new, tuple(changes), unknown, show_all, unchanged)
