"""Parsing KEY arguments (``42``, ``id=42``, ``order_id=5,line=2``) by the primary-key column types."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.types import TypeEngine

from chrono_cli.errors import UsageError
from chrono_cli.model import RowKey

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def parse_key(text: str, columns: Sequence[str], types: Mapping[str, TypeEngine[Any]]) -> RowKey:
    """A RowKey with each value cast to its column's Python type; a value that does not cast is a usage error."""
    if not columns:
        raise UsageError("the table has no primary key, so rows cannot be named")
    check_text(text, "key")
    parts = text.split(",") if "=" in text else [text]
    given: dict[str, str] = {}
    if "=" in text:
        for part in parts:
            name, sep, value = part.partition("=")
            if not sep or not name.strip():
                raise UsageError(f"cannot read key {text!r}", hint="write KEY as 42, id=42 or a=1,b=2")
            if name.strip() in given:
                raise UsageError(f"key {text!r} names {name.strip()} twice",
                                 hint="one row per KEY; list several rows as separate arguments or in a keys file")
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


def check_text(text: str, what: str) -> None:
    """Refuse text no database can take as a value: NUL characters and bytes that are not UTF-8."""
    if "\x00" in text:
        raise UsageError(f"{what} {text!r} holds a NUL character", hint="no database stores NUL in text")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # undecodable command-line bytes arrive as lone surrogates
        shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise UsageError(f"{what} '{shown}' is not valid UTF-8") from None


def cast_value(raw: str, coltype: TypeEngine[Any], column: str, what: str = "key value") -> Any:
    """``raw`` as a value of ``coltype``; what does not cast, or no column could hold, is a usage error."""
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
            number = int(raw)
            if not INT64_MIN <= number <= INT64_MAX:
                raise UsageError(f"{what} {raw} is out of range for column {column} (a 64-bit integer at most)")
            return number
        if py is Decimal:
            dec = Decimal(raw)
            if not dec.is_finite():
                raise ValueError(raw)
            return dec
        if py is float:
            real = float(raw)
            if not math.isfinite(real):
                raise ValueError(raw)
            return real
        if py is uuid.UUID:
            value = uuid.UUID(raw)
            return value if getattr(coltype, "as_uuid", True) else str(value)
        if py is datetime:
            return datetime.fromisoformat(raw)
        if py is date:
            return date.fromisoformat(raw)
    except (ValueError, InvalidOperation, OverflowError):
        raise UsageError(f"{what} {raw!r} is not a valid {py.__name__} for column {column}") from None
    return raw
