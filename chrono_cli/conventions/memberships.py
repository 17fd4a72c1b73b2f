"""Many-to-many memberships shown in a parent's timeline as a pseudo-column holding the member ids.

A versioned association (Continuum's ``<assoc>_version``, simple-history's ``<historical>_<field>``) is
shown on the parent record as one extra value, e.g. ``tags = [3, 5]``: the sorted member keys at that
version. Services then diff it like any column (``tags: [3] -> [3, 5]``) and the version's note says
``tags: +5``. The pseudo-column is not a column of the live table: writers must leave it alone.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any


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
