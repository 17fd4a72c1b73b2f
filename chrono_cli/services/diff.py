"""Field diffs between two states of a record (pure; the equality rule lives in conventions.diffs)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chrono_cli.conventions.diffs import field_changes, same
from chrono_cli.model import FieldChange

__all__ = ["diff_values", "same"]


def diff_values(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, columns: Iterable[str],
                *, include_same: bool = False) -> list[FieldChange]:
    """Changes over ``columns``; a column unknown on either side is skipped (never guessed).

    ``None`` for a side means the record did not exist: every known column of the other side changes.
    With ``include_same`` unchanged columns are listed too (``diff --all``).
    """
    if not include_same:
        return list(field_changes(old, new, columns))
    out: list[FieldChange] = []
    for c in columns:
        if (old is not None and c not in old) or (new is not None and c not in new) or (old is None and new is None):
            continue
        out.append(FieldChange(c, None if old is None else old[c], None if new is None else new[c]))
    return out
