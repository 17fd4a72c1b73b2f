"""Value encodings: the JSON contract (ISO times, decimals as strings, bytes as $base64) and display text."""

from __future__ import annotations

import base64
import enum
import json
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any


def to_json(value: Any) -> Any:
    """A value as JSON-native data, as documented in README (values section)."""
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
        return to_json(value.value)
    if isinstance(value, Mapping):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(v) for v in value]
    return str(value)


def dumps(doc: Any, *, indent: int | None = 2) -> str:
    return json.dumps(to_json(doc), ensure_ascii=False, indent=indent)


def text(value: Any, *, null: str = "NULL") -> str:
    """A value for humans: compact, unambiguous, one line."""
    if value is None:
        return null
    if isinstance(value, datetime):
        spec = "seconds" if not value.microsecond else "microseconds"
        return value.isoformat(" ", spec)
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        return f"<{len(raw)} bytes: {raw[:16].hex()}{'…' if len(raw) > 16 else ''}>"
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(to_json(value), ensure_ascii=False, separators=(", ", ": "))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(to_json(value))
