"""Pure field diffs between two states of a record."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chrono_cli.model import FieldChange


def same(a: Any, b: Any) -> bool:
    """Equal as stored values (1.50 == 1.5 for decimals; type-strict for bool vs int)."""
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    try:
        return bool(a == b)
    except TypeError:  # e.g. naive vs aware datetimes
        return False


def diff_values(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, columns: Iterable[str],
                *, include_same: bool = False) -> list[FieldChange]:
    """Changes over ``columns``; a column unknown on either side is skipped (never guessed).

    ``None`` for a side means the record did not exist: every known column of the other side changes.
    """
    out: list[FieldChange] = []
    for c in columns:
        if old is None and new is None:
            break
        if old is not None and c not in old:
            continue
        if new is not None and c not in new:
            continue
        a = None if old is None else old[c]
        b = None if new is None else new[c]
        if old is None and b is None or new is None and a is None:
            if include_same:
                out.append(FieldChange(c, a, b))
            continue
        if include_same or old is None or new is None or not same(a, b):
            out.append(FieldChange(c, a, b))
    return out
