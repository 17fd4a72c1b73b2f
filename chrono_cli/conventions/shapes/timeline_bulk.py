"""Set-based restores and reverts for stores whose states only a record's whole timeline tells: a log of snapshots
whose deletions and re-inserts are read from the order of its rows (Chrononaut 0.4), a log of differences folded
back from the live row (Flask-Potion).

The store rows of a chunk of keys (``bulk.CHUNK``) are read in one query and the live rows in another; each key's
timeline is then built from them by the convention's own reader, so the state at a time (``select.at_time``'s
choice) and what a change set did (``revert.read_row``'s reading) are decided exactly as a single-row restore or
revert decides them, without a query per row and without reading the rest of the store.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Table
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.django_bulk import state_at
from chrono_cli.conventions.shapes.bulk import CHUNK, UNDO_OPS, BulkWriter, Span, Undo
from chrono_cli.conventions.writes.base import WriteContext
from chrono_cli.errors import Refused
from chrono_cli.model import Op, Version

Key = tuple[Any, ...]
Read = tuple[list[Version], dict[str, Any] | None]  # a key's versions (oldest first) and its live row


class TimelineChunks(BulkWriter):
    """A bulk writer whose states and undos come from timelines built a chunk of keys at a time."""

    bypass: ClassVar[str | None] = None  # the row writer's refusal of a live row changed outside the library

    @abc.abstractmethod
    def timelines(self, ctx: WriteContext, keys: Sequence[Key]) -> dict[Key, Read]:
        """The versions and live row of each of ``keys`` (at most ``CHUNK``) the store holds rows of."""

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

    def undo(self, ctx: WriteContext, group: Any) -> dict[Key, Undo] | None:
        """What an inferred change set (``group``: a ``Span``) did to each of its keys, read from their timelines as
        ``revert.read_row`` reads them; None for anything else, or where a key's answer is not exact here."""
        if not isinstance(group, Span):
            return None
        keys = list(group.times)
        recorded = self.recorded(ctx)
        skip = set(ctx.det.key) | self.bookkeeping(ctx)
        out: dict[Key, Undo] = {}
        for i in range(0, len(keys), CHUNK):
            for key, (versions, current) in self.timelines(ctx, keys[i:i + CHUNK]).items():
                found = undone(versions, set(group.times[key]), current, recorded, skip)
                if found is None:
                    return None
                out[key] = found
        return out


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


def undone(versions: Sequence[Version], times: set[datetime], current: dict[str, Any] | None,
           recorded: Sequence[str], skip: set[str]) -> Undo | None:
    """One key's answer: the set's versions are those stamped at one of its ``times`` (not a change outside the
    history), ``op`` the first one's, ``before`` the version before it (staged as the set-based write stages it),
    ``made`` the last one's state; None where the row-by-row revert would write what this cannot say (a state
    before the set that holds a column the write does not restore, or lacks one a re-insert needs)."""
    made = [i for i, v in enumerate(versions) if v.valid_from in times and v.op is not Op.UNKNOWN]
    if not made:
        return None
    first, last = made[0], made[-1]
    later = last < len(versions) - 1
    op = UNDO_OPS.get(versions[first].op)
    after = None if later else versions[last].values
    prev = versions[first - 1] if first else None
    if prev is None or prev.values is None:  # nothing before it (a refusal unless it inserted), or a deletion
        return Undo(op, dict(after) if after is not None else None, None, prev is not None, later, current)
    before = staged(prev.values, recorded, current, skip)
    if before is None:
        return None
    return Undo(op, dict(after) if after is not None else None, before, False, later, current)


def staged(state: Mapping[str, Any], recorded: Sequence[str], current: Mapping[str, Any] | None,
           skip: set[str]) -> dict[str, Any] | None:
    """A state before a change set as the set-based write stages it: the restored columns ``recorded``, one the state
    lacks keeping the live value (as the row-by-row restore keeps it); None where that is not what the row-by-row
    revert writes (a column, not in ``skip``, the write does not restore, or one missing from a re-inserted row)."""
    if any(c not in skip and c not in recorded for c in state):
        return None
    missing = [c for c in recorded if c not in state]
    if missing and current is None:
        return None
    return {c: state[c] if c in state else current[c] for c in recorded}  # type: ignore[index]


def _text(key: Key) -> str:
    return ",".join(str(v) for v in key)
