"""JSON-diff shape: a log whose rows hold what one change did, as old and new values (whole rows or only the
changed columns) or as ``changes`` ({col: [old, new]} or [{attribute, old, new}]).

States are rebuilt forwards from the recorded changes and checked against each other and against the live
row. When a recorded change does not chain with the state before it (its old values differ from what the
previous change left), an explicit "unrecorded change(s)" state is shown and nothing is carried across the gap.
Columns no change recorded before a state are unknown there, never guessed; a column's value is carried back
only across recorded changes that did not touch it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from chrono_cli.conventions.base import Detection, ReadContext
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.rows import fetch_live
from chrono_cli.conventions.shapes.common import as_json, declared, decode_values, live_columns, meta, operation
from chrono_cli.conventions.shapes.json_snapshot import log_rows
from chrono_cli.model import Op, RowKey, Version
from chrono_cli.records import Struct, field, replace

GAP = "unrecorded change(s): the next recorded change does not start from the state the previous one left"


class _State(Struct):
    version: Version
    touched: set[str] = field(default_factory=set)
    gap_before: bool = False
    old: dict[str, Any] = field(default_factory=dict)  # what the change that made this state says came before
    moved: bool = False  # the row took another key here: no deletion follows, a later insert is no gap


def parse_changes(raw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Old and new values from ``{col: [old, new]}`` or ``[{attribute, old, new}]``."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    doc = as_json(raw)
    if isinstance(doc, dict):
        for column, pair in doc.items():
            if isinstance(pair, list | tuple) and len(pair) == 2:
                old[column], new[column] = pair
    elif isinstance(doc, list):
        for item in doc:
            if not isinstance(item, dict):
                continue
            column = next((item[k] for k in ("attribute", "column", "field", "name") if k in item), None)
            if isinstance(column, str):
                old[column] = item.get("old", item.get("old_value"))
                new[column] = item.get("new", item.get("new_value"))
    return old, new


def _inferred(old: Any, new: Any) -> Op:
    """Without an operation column: nothing before is an insert, nothing after a delete."""
    def empty(doc: Any) -> bool:
        return not isinstance(doc, dict) or all(v is None for v in doc.values())

    if empty(old) and not empty(new):
        return Op.INSERT
    if empty(new) and not empty(old):
        return Op.DELETE
    return Op.UPDATE


class Change(Struct, frozen=True):
    """One recorded change of a diff log: the old and new values it names (only those columns), and its facts."""

    old: dict[str, Any]
    new: dict[str, Any]
    op: Op
    at: Any = None
    number: Any = None
    actor: str | None = None
    reason: str | None = None
    note: str | None = None
    moved: bool = False  # an UPDATE that gave the row another key, whose later life the timeline does not follow


def read(ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
    """Every state of ``key`` the recorded changes and the live row establish."""
    dec = declared(det)
    tz = ctx.config.timezone
    skip = set(ctx.config.unrecorded)
    changes: list[Change] = []
    for r in log_rows(ctx, det, key):
        old_raw: Any
        new_raw: Any
        if dec.role("changes"):
            old_raw, new_raw = parse_changes(r[dec.role("changes") or ""])
        else:
            old_raw = as_json(r[dec.role("old") or ""]) if dec.role("old") else None
            new_raw = as_json(r[dec.role("new") or ""]) if dec.role("new") else None
        old = {c: v for c, v in decode_values(ctx, det, old_raw)[0].items() if c not in skip}
        new = {c: v for c, v in decode_values(ctx, det, new_raw)[0].items() if c not in skip}
        info = meta(dec, r, tz)
        changes.append(Change(old, new, operation(dec, r) or _inferred(old_raw, new_raw), info["at"], info["number"],
                              info["actor"], info["reason"]))
    live = fetch_live(ctx.conn, ctx.info(det.live).table(), key)
    declared_out = tuple(c for c in ctx.info(det.live).columns if c in skip)
    return diff_states(changes, live, live_columns(ctx, det), declared_out, key.as_dict())


def diff_states(changes: list[Change], live: dict[str, Any] | None, shown: list[str],
                declared_out: tuple[str, ...] = (), key: dict[str, Any] | None = None) -> list[Version]:
    """The states a diff log establishes, oldest first: forwards from the recorded changes, with an explicit
    "unrecorded change(s)" state wherever a change does not start from the state the previous one left.
    ``key``: the record's key values, known in every state."""
    states: list[_State] = []
    prev: dict[str, Any] | None = None
    for ch in changes:
        old, new, op = ch.old, ch.new, ch.op
        if states and states[-1].version.valid_to is None:
            states[-1].version = replace(states[-1].version, valid_to=ch.at)
        before = {} if op is Op.INSERT or prev is None else dict(prev)
        broken = [c for c, v in old.items() if c in before and not same(before[c], v)]
        if op is Op.INSERT and prev is not None or broken:
            states.append(_State(Version(values=dict(old), op=Op.UNKNOWN, valid_to=ch.at, note=GAP),
                                 gap_before=True))
            before = dict(old)
        elif op is not Op.INSERT and not states and old:
            states.append(_State(Version(values=dict(old), op=Op.UNKNOWN, valid_to=ch.at,
                                        note="before the first recorded change: only its changed columns are known")))
        elif op is not Op.INSERT and not states:
            states.append(_State(Version(values={}, op=Op.UNKNOWN, valid_to=ch.at,
                                        note="before the first recorded change: nothing of it is known")))
        if op is Op.DELETE:
            states.append(_State(Version(values=None, op=Op.DELETE, valid_from=ch.at, number=ch.number,
                                         actor=ch.actor, reason=ch.reason, note=ch.note)))
            prev = None
            continue
        after = {**before, **old, **new} if op is not Op.INSERT else dict(new)
        states.append(_State(Version(values=after, op=op, valid_from=ch.at, number=ch.number, actor=ch.actor,
                                     reason=ch.reason, note=ch.note), set(old) | set(new), old=dict(old),
                             moved=ch.moved))
        prev = None if ch.moved else after
    _end(states, live, shown)
    _carry_back(states)
    out = []
    for st in states:
        v = st.version
        if v.values is not None and key:
            v = replace(v, values={**{c: val for c, val in key.items() if c in shown}, **v.values})
        missing = () if v.values is None else tuple(c for c in shown if c not in v.values)
        out.append(replace(v, unrecorded=tuple(dict.fromkeys((*declared_out, *missing))) if v.values is not None
                           else ()))
    return out


def _end(states: list[_State], live: dict[str, Any] | None, shown: list[str]) -> None:
    """The live row: the newest state when it agrees with it, else a change the log did not record."""
    last = states[-1].version if states else None
    if live is None:
        if last is not None and last.values is not None and not states[-1].moved:
            states.append(_State(Version(values=None, op=Op.DELETE, note="deleted without a recorded deletion "
                                                                         "(time unknown)")))
        return
    current = {c: live[c] for c in shown}
    if last is not None and last.values is not None and all(
            same(v, current[c]) for c, v in last.values.items() if c in current):
        states[-1].version = replace(last, values={**current, **last.values}, current=True)
        return
    note = "no change recorded" if last is None else "live row differs from the newest recorded change (a write " \
        "the log did not record)"
    states.append(_State(Version(values=current, op=Op.UNKNOWN, current=True, note=note), gap_before=True))


def _carry_back(states: list[_State]) -> None:
    """Fill columns a state does not know from the next state, across recorded changes that did not touch them."""
    for i in range(len(states) - 2, -1, -1):
        here, nxt = states[i], states[i + 1]
        if nxt.gap_before or here.version.values is None or nxt.version.values is None:
            continue
        if nxt.version.op is Op.INSERT:
            continue
        known = dict(here.version.values)
        for c, v in nxt.old.items():  # what the next change replaced is what this state held
            known.setdefault(c, v)
        for c, v in nxt.version.values.items():
            if c not in known and c not in nxt.touched:
                known[c] = v
        here.version = replace(here.version, values=known)


class Disagrees(Exception):
    """A window's versions do not fall where the gaps found on the server put them: the page is not shown (the
    record is read whole instead), never shown at the wrong positions."""


class Positions(Struct, frozen=True):
    """Where the versions of a diff log's changes fall in the timeline: change ``i`` (0-based) makes the version
    at ``pos(i)``, preceded by one more where ``i`` is in ``gaps`` (an unrecorded change, or the state before the
    first change); for reading a window of the changes."""

    gaps: list[int]  # sorted
    total: int  # the changes

    def pos(self, row: int) -> int:
        """The position of the version change ``row`` makes."""
        return row + 1 + bisect_right(self.gaps, row)

    def row_at(self, position: int) -> int:
        """The change whose version (or the one before it) is at ``position``; the last change past the end."""
        lo, hi = 0, self.total - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.pos(mid) >= position:
                hi = mid
            else:
                lo = mid + 1
        return lo


def window_page(at: Positions, states: Callable[[int, int, int, int], list[Version]], before: int | None, size: int,
                *, lead: int = 0) -> list[Version] | None:
    """``versions_page`` of a diff log read by window: the changes whose versions cover the page (``lead`` more
    before it, where a change's state needs the one before it), built by ``states(lo, hi, first, last)``; None
    when they disagree with ``at`` (the record is then read whole: never versions at the wrong positions)."""
    want_last = at.pos(at.total - 1) + 1 if before is None else before - 1  # the newest page: the live row may add one
    if want_last < 1:
        return []
    want_first = max(1, want_last - size - (1 if before is None else 0))
    try:
        found = states(max(0, at.row_at(want_first) - lead), min(at.total - 1, at.row_at(want_last) + 1), want_first,
                       want_last)
    except Disagrees:
        return None
    last = found[-1].seq if before is None else min(before - 1, found[-1].seq)
    return [v for v in found if max(1, last - size) <= v.seq <= last]
