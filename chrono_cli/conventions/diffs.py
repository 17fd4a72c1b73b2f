"""Field changes between two stored states (used where adapters build change lists themselves)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from chrono_cli.model import FieldChange

_PLAIN = frozenset({str, int, datetime, date})  # types whose == is the stored-value equality (no NaN, no bool)


def same(a: Any, b: Any) -> bool:
    """Equal as stored values: 1.50 == 1.5 for decimals, a NaN equals a NaN (it is the value that was stored),
    bool and int differ, naive and aware times differ."""
    if type(a) is type(b) and type(a) in _PLAIN:  # the common case, answered first (bulk writes compare millions)
        return bool(a == b)
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    if _nan(a) or _nan(b):
        return _nan(a) and _nan(b)
    try:
        return bool(a == b)
    except TypeError:  # e.g. naive vs aware datetimes
        return False


def _nan(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, Decimal) and value.is_nan()


def field_changes(old: Mapping[Any, Any] | None, new: Mapping[Any, Any] | None,
                  columns: Iterable[str]) -> tuple[FieldChange, ...]:
    """Changed columns; a side of None means the row did not exist; unknown columns are skipped."""
    out: list[FieldChange] = []
    for c in columns:
        if (old is not None and c not in old) or (new is not None and c not in new):
            continue
        a = None if old is None else old[c]
        b = None if new is None else new[c]
        if old is None and b is None or new is None and a is None:
            continue
        if old is None or new is None or not same(a, b):
            out.append(FieldChange(c, a, b))
    return tuple(out)
