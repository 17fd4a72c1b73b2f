"""Value encodings: the JSON contract (ISO times, decimals as strings, bytes as $base64) and display text."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chrono_cli.encoding import to_json

__all__ = ["dumps", "text", "to_json"]


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
