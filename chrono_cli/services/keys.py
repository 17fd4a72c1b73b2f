"""Parsing KEY arguments (``42``, ``id=42``, ``order_id=5,line=2``) by the primary-key column types."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.types import TypeEngine

from chrono_cli.errors import UsageError
from chrono_cli.model import RowKey


def parse_key(text: str, columns: Sequence[str], types: Mapping[str, TypeEngine[Any]]) -> RowKey:
    """A RowKey with each value cast to its column's Python type; a value that does not cast is a usage error."""
    if not columns:
        raise UsageError("the table has no primary key, so rows cannot be named")
    parts = text.split(",") if "=" in text else [text]
    given: dict[str, str] = {}
    if "=" in text:
        for part in parts:
            name, sep, value = part.partition("=")
            if not sep or not name.strip():
                raise UsageError(f"cannot read key {text!r}", hint="write KEY as 42, id=42 or a=1,b=2")
            given[name.strip()] = value.strip()
        unknown = [n for n in given if n not in columns]
        if unknown:
            raise UsageError(f"{', '.join(unknown)} is not a key column; the key is ({', '.join(columns)})")
        missing = [c for c in columns if c not in given]
        if missing:
            raise UsageError(f"key is missing {', '.join(missing)}; the key is ({', '.join(columns)})")
    elif len(columns) == 1:
        given[columns[0]] = text.strip()
    else:
        raise UsageError(f"the key has {len(columns)} columns ({', '.join(columns)})",
                         hint=f"write it as {','.join(c + '=...' for c in columns)}")
    return RowKey(tuple((c, cast_value(given[c], types[c], c)) for c in columns))


def cast_value(raw: str, coltype: TypeEngine[Any], column: str) -> Any:
    try:
        py = coltype.python_type
    except NotImplementedError:
        return raw
    try:
        if py is bool:
            if raw.lower() in ("1", "true", "t", "yes"):
                return True
            if raw.lower() in ("0", "false", "f", "no"):
                return False
            raise ValueError(raw)
        if py is int:
            return int(raw)
        if py is Decimal:
            return Decimal(raw)
        if py is float:
            return float(raw)
        if py is uuid.UUID:
            value = uuid.UUID(raw)
            return value if getattr(coltype, "as_uuid", True) else str(value)
        if py is datetime:
            return datetime.fromisoformat(raw)
        if py is date:
            return date.fromisoformat(raw)
    except (ValueError, InvalidOperation):
        raise UsageError(f"key value {raw!r} is not a valid {py.__name__} for column {column}") from None
    return raw
