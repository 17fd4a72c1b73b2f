"""JSON-native encoding of database values, shared by output and plan files (a leaf: imports nothing of ours)."""

from __future__ import annotations

import base64
import enum
import math
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any


def to_json(value: Any, *, enum_by: str = "value") -> Any:
    """ISO-8601 times, decimals as strings, bytes as {"$base64": ...}, non-finite floats as {"$float": "NaN"}
    ("Infinity", "-Infinity": JSON has no such numbers); enums by ``value`` or ``name``."""
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, enum.Enum):
        return to_json(getattr(value, enum_by), enum_by=enum_by)
    if isinstance(value, Mapping):
        return {str(k): to_json(v, enum_by=enum_by) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v, enum_by=enum_by) for v in value]
    return str(value)
