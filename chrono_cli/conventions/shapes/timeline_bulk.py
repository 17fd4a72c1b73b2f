"""Set-based restores and reverts for stores whose states only a record's whole timeline tells: a log of snapshots
whose deletions and re-inserts are read from the order of its rows (Chrononaut 0.4), a log of differences folded
back from the live row (Flask-Potion), the Django libraries' stores (django-reversion, django-auditlog,
django-pghistory: django_bulk.py).

The store rows of a chunk of keys (``bulk.CHUNK``) are read in one query and the live rows in another; each key's
timeline is then built from them by the convention's own reader, so the state at a time (``select.at_time``'s
choice) and what a change set did (``revert.read_row``'s reading) are decided exactly as a single-row restore or
revert decides them, without a query per row and without reading the rest of the store.

Where a key's answer is not exact here (no version of the set in its timeline, a state before the set that the
set-based write would not stage as the row-by-row revert writes it), the stores differ in what they leave to the
row-by-row code (``Timelines.fallback``): the whole revert, or that one record.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Table
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.shapes.bulk import CHUNK, UNDO_OPS, BulkWriter, Span, Undo
from chrono_cli.conventions.writes.base import WriteContext
from chrono_cli.errors import Refused
from chrono_cli.model import Op, Version

Key = tuple[Any, ...]
Read = tuple[list[Version], dict[str, Any] | None]  # a key's versions (oldest first) and its live row
# a key's versions of the change set: their positions in its timeline and, for an exact set the store does not
# number its versions by, their times (``Undo.times``)
Find = Callable[[Key, list[Version]], tuple[list[int], tuple[datetime, ...]]]


class Fallback(enum.Enum):
    """What a key whose undo is not exact here leaves to the row-by-row code."""

    REVERT = "revert"  # the whole revert: ``undo`` answers None
    ROW = "row"  # that record alone: its ``op`` is None (the row-by-row code refuses it or, should it write it,
    #              turns the whole revert row by row)


class Timelines(BulkWriter):
    """A bulk writer whose undos come from timelines built a chunk of keys at a time."""

    fallback: ClassVar[Fallback] = Fallback.ROW
    # whether the row-by-row restore keeps the live value of a restored column a state does not know (else it
    # refuses that state: the set-based write cannot stage it either)
    keeps_live: ClassVar[bool] = False

    @abc.abstractmethod
    def timelines(self, ctx: WriteContext, keys: Sequence[Key]) -> dict[Key, Read]:
        """The versions and live row of each of ``keys`` (at most ``CHUNK``) the store answers for."""

    def made(self, version: Version, later: bool) -> dict[str, Any] | None:
        """``Undo.made``: the state the set's last version ``version`` left (None: a deletion)."""
        return None if version.op is Op.DELETE or version.values is None else dict(version.values)

    def undo(self, ctx: WriteContext, group: Any) -> dict[Key, Undo] | None:
        """What an inferred change set (``group``: a ``Span``) did to each of its keys, read from their timelines as
        ``revert.read_row`` reads them; None for anything else."""
        if not isinstance(group, Span):
            return None
        times = group.times
        return self.undo_keys(ctx, list(times), lambda key, versions: (stamped(versions, times[key]), ()))

    def undo_keys(self, ctx: WriteContext, keys: Sequence[Key], find: Find,
                  read: Callable[[Sequence[Key]], Mapping[Key, Read]] | None = None) -> dict[Key, Undo] | None:
        """Each key's answer (``undone``), its timeline read a chunk at a time (``read``, by default
        ``timelines``) and the set's versions in it told by ``find``; None where one is not exact and the store
        falls back to a whole row-by-row revert (``Fallback.REVERT``)."""
        read = read or (lambda chunk: self.timelines(ctx, chunk))
        recorded = self.recorded(ctx)
        skip = set(ctx.det.key) | self.bookkeeping(ctx) | set(ctx.config.unrecorded)
        out: dict[Key, Undo] = {}
        for i in range(0, len(keys), CHUNK):
            for key, (versions, current) in read(keys[i:i + CHUNK]).items():
                made, times = find(key, versions)
                found = self.undone(versions, made, current, recorded, skip, times)
                if found is None:
                    return None
                out[key] = found
        return out

    def undone(self, versions: Sequence[Version], made: Sequence[int], current: dict[str, Any] | None,
               recorded: Sequence[str], skip: set[str], times: tuple[datetime, ...] = ()) -> Undo | None:
        """One key's answer from its timeline and the positions of the set's versions in it: ``op`` the first
        one's, ``made`` the last one's state, ``before`` the version before the first (staged as the set-based
        write stages it); where that is not what the row-by-row revert would write (no version of the set, a state
        before it the write cannot stage), ``fallback`` decides."""
        whole = self.fallback is Fallback.REVERT
        if not made:  # the row's own reading says why it cannot be reverted
            return None if whole else Undo(None, None, None, current=current, times=times)
        first, last = made[0], made[-1]
        later = last + 1 < len(versions)
        op = UNDO_OPS.get(versions[first].op)
        state = self.made(versions[last], later)
        prev = versions[first - 1] if first else None
        if prev is None or prev.values is None:  # nothing before it (a refusal unless it inserted), or a deletion
            return Undo(op, state, None, prev is not None, later, current, times)
        before = staged(prev.values, recorded, current if self.keeps_live else None, skip, prev.unrecorded)
        if before is not None:
            return Undo(op, state, before, False, later, current, times)
        if whole:
            return None
        return Undo(None, state, {c: prev.values.get(c) for c in recorded}, False, later, current, times)


class TimelineChunks(Timelines):
    """A bulk writer of a store naming records by the live key columns, whose states and undos come from
    timelines built a chunk of keys at a time (Chrononaut 0.4, Flask-Potion).

    A state before a change set that lacks a column keeps the live value, as their row-by-row restore keeps it;
    any key not answered exactly makes the whole revert go row by row. ``made`` is read only where no version
    follows the set, and is the state the version holds even for a deletion (Chrononaut 0.4 records one as the last
    state: the live row, gone, then differs from it, so the row's own reading is asked).
    """

    fallback = Fallback.REVERT
    keeps_live = True
    bypass: ClassVar[str | None] = None  # the row writer's refusal of a live row changed outside the library

    def made(self, version: Version, later: bool) -> dict[str, Any] | None:
        return None if later or version.values is None else dict(version.values)

    def key_filter(self, ctx: WriteContext, table: Table, keys: Sequence[Key],
                   since: datetime | None) -> Iterator[ColumnElement[bool]]:
        """IN chunks of the keys (the store names a record otherwise than by the live key columns, so the
        changed-since subquery is never used)."""
        return super().key_filter(ctx, table, keys, None)

    def states(self, ctx: WriteContext, at: datetime, keys: Sequence[Key],
               since: datetime | None = None) -> dict[Key, dict[str, Any] | None]:
        """Each key's state at ``at`` as its timeline holds it (None: it did not exist then, or its history starts
        later); a state missing a restored column refuses the whole restore, as does a live row the row writer
        refuses to write over (``bypass``)."""
        wanted = self.recorded(ctx)
        out: dict[Key, dict[str, Any] | None] = {}
        for i in range(0, len(keys), CHUNK):
            for key, (versions, current) in self.timelines(ctx, keys[i:i + CHUNK]).items():
                version = state_at(versions, at)
                if version is None or version.values is None:
                    out[key] = None
                    continue
                state = known(ctx, key, version, wanted, at)
                if self.bypass and current is not None and versions[-1].op is Op.UNKNOWN \
                        and any(not same(state[c], current[c]) for c in wanted):
                    raise Refused(f"{ctx.det.live} {_text(key)}: {self.bypass}; nothing written",
                                  hint="record the current state with the application first")
                out[key] = state
        return out


def stamped(versions: Sequence[Version], times: Collection[datetime | None]) -> list[int]:
    """The positions of the versions stamped at one of ``times`` (not a change outside the history)."""
    times = set(times)
    return [i for i, v in enumerate(versions) if v.valid_from in times and v.op is not Op.UNKNOWN]


def state_at(versions: Sequence[Version], at: datetime) -> Version | None:
    """The version valid at ``at`` (the last one whose interval holds it), None when none does."""
    found = None
    for v in versions:
        if (v.valid_from is None or v.valid_from <= at) and (v.valid_to is None or at < v.valid_to):
            found = v
    return found


def known(ctx: WriteContext, key: Key, version: Version, wanted: Sequence[str], at: datetime) -> dict[str, Any]:
    """The restored columns of ``version``; refused when one is not recorded there (a gap in the history)."""
    values = version.values or {}
    missing = [c for c in wanted if c not in values or c in version.unrecorded]
    if missing:
        raise Refused(f"{ctx.det.live} {_text(key)}: its state at {at.isoformat()} is not fully recorded "
                      f"({', '.join(missing)} unknown{': ' + version.note if version.note else ''}); nothing written",
                      hint=f"restore the other columns with --only, or this row alone ('chrono restore "
                           f"{ctx.det.live.name} {_text(key)} --at TIME' shows what is known)")
    return {c: values[c] for c in wanted}


def staged(state: Mapping[str, Any], recorded: Sequence[str], current: Mapping[str, Any] | None,
           skip: set[str], unrecorded: Collection[str] = ()) -> dict[str, Any] | None:
    """A state before a change set as the set-based write stages it: the restored columns ``recorded``, one the state
    lacks (or holds as ``unrecorded``) keeping the live value ``current`` (as the row-by-row restore keeps it); None
    where that is not what the row-by-row revert writes (a column, not in ``skip``, the write does not restore, or
    one missing with no live value to keep)."""
    if any(c not in skip and c not in recorded for c in state):
        return None
    missing = {c for c in recorded if c not in state or c in unrecorded}
    if missing and current is None:
        return None
    return {c: current[c] if c in missing else state[c] for c in recorded}  # type: ignore[index]


def _text(key: Key) -> str:
    return ",".join(str(v) for v in key)
