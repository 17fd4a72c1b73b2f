"""Many-to-many memberships shown in a parent's timeline as a pseudo-column holding the member ids.

A versioned association (Continuum's ``<assoc>_version``, simple-history's ``<historical>_<field>``) is
shown on the parent record as one extra value, e.g. ``tags = [3, 5]``: the sorted member keys at that
version. Services then diff it like any column (``tags: [3] -> [3, 5]``) and the version's note says
``tags: +5``. The pseudo-column is not a column of the live table: writers must leave it alone.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from chrono_cli.conventions.base import Detection
from chrono_cli.conventions.diffs import same
from chrono_cli.model import Timeline


def pseudo_name(store_name: str, parent_name: str, taken: Collection[str]) -> str:
    """``article_tag`` seen from ``article`` is ``tag``; the whole name if stripping is ambiguous or taken."""
    stem = store_name
    if stem.startswith(parent_name + "_"):
        stem = stem[len(parent_name) + 1:]
    elif stem.endswith("_" + parent_name):
        stem = stem[: -len(parent_name) - 1]
    return store_name if not stem or stem in taken else stem


def member(row: Mapping[Any, Any], columns: tuple[str, ...]) -> Any:
    """One member's key: the value itself, or a list for a composite key."""
    if len(columns) == 1:
        return row[columns[0]]
    return [row[c] for c in columns]


def ordered(members: Iterable[Any]) -> list[Any]:
    """Members sorted for display (by value, else by text)."""
    items = list(members)
    try:
        return sorted(items)
    except TypeError:
        return sorted(items, key=repr)


def _freeze(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def change_note(name: str, old: Iterable[Any] | None, new: Iterable[Any]) -> str | None:
    """``tags: +3 -5`` (None when nothing changed)."""
    before = {_freeze(m) for m in (old or ())}
    after = {_freeze(m) for m in new}
    added = ordered(after - before)
    removed = ordered(before - after)
    if not added and not removed:
        return None
    parts = [f"+{_text(m)}" for m in added] + [f"-{_text(m)}" for m in removed]
    return f"{name}: {' '.join(parts)}"


def _text(m: Any) -> str:
    return ",".join(map(str, m)) if isinstance(m, tuple) else str(m)


def membership_note(det: Detection, names: Sequence[str], new: Mapping[str, Any],
                    timeline: Timeline | None) -> str | None:
    """A note when a version with the restored values had other association members than now."""
    if not names or timeline is None or not timeline.versions:
        return None
    states = [v.values for v in timeline.versions if v.values is not None]
    now = next((v.values for v in reversed(timeline.versions) if v.current and v.values is not None), None)
    now = now if now is not None else {n: [] for n in names}  # a deleted record has no links
    matching = [s for s in states if all(same(s[c], new[c]) for c in new if c in s and c not in names)]
    differ = sorted({n for s in matching for n in names if n in s and s.get(n) != now.get(n)})
    if not differ:
        return None
    return (f"membership of {', '.join(differ)} is not restored (the restored version had other members): "
            "the current links stay; change them through the application")
