"""Turn values a library serialised (JSON text, Python repr, Potion formats) back into column values."""

from __future__ import annotations

import ast
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import types as sqltypes
from sqlalchemy.types import TypeEngine

from chrono_cli.conventions.rows import zone
from chrono_cli.conventions.types import has_timezone, is_boolean


class Undecodable(ValueError):
    """A stored value that cannot be read back as the column's type."""


def decode(value: Any, coltype: TypeEngine[Any], tz_name: str | None = None) -> Any:
    """A JSON-stored value as the Python value the column would hold."""
    if value is None:
        return None
    if type(value) is str and isinstance(coltype, sqltypes.String) and not isinstance(coltype, sqltypes.Enum):
        return value  # text for a text column, as it is (what ``_decode`` ends with): the most common value
    try:
        return _decode(value, coltype, tz_name)
    except (ValueError, SyntaxError, InvalidOperation, TypeError) as exc:
        raise Undecodable(f"cannot read {value!r} as {coltype}") from exc


def _decode(value: Any, t: TypeEngine[Any], tz_name: str | None) -> Any:
    if isinstance(t, sqltypes.JSON | sqltypes.ARRAY):
        return _literal(value) if isinstance(value, str) else value
    if isinstance(t, sqltypes.Enum) and isinstance(value, str):
        member = value.rsplit(".", 1)[-1] if "." in value else value
        return member if not t.enums or member in t.enums else value
    if isinstance(t, sqltypes.DateTime):
        dt = datetime.fromisoformat(value) if isinstance(value, str) else value
        if has_timezone(t):
            return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
        if dt.tzinfo is not None:  # an instant stored for a naive column: back to the column's wall clock
            return dt.astimezone(zone(tz_name)).replace(tzinfo=None)
        return dt
    if isinstance(t, sqltypes.Date):
        return date.fromisoformat(value[:10]) if isinstance(value, str) else value
    if is_boolean(t):
        return value if isinstance(value, bool) else bool(value)
    if isinstance(t, sqltypes.Numeric) and not isinstance(t, sqltypes.Float):
        number = Decimal(str(value))
        scale = getattr(t, "scale", None)  # the column held it at its scale: 25 in numeric(10,2) is 25.00
        return number.quantize(Decimal(1).scaleb(-scale)) if scale is not None and number.is_finite() else number
    if isinstance(t, sqltypes.Float):
        return float(value)
    if isinstance(t, sqltypes.Integer):
        return int(value)
    if isinstance(t, sqltypes.Uuid):
        return uuid.UUID(str(value)) if getattr(t, "as_uuid", True) else str(value)
    if isinstance(t, sqltypes.LargeBinary) and isinstance(value, str):
        out = ast.literal_eval(value) if value.startswith(("b'", 'b"')) else value.encode()
        return bytes(out)
    return value


def _literal(text: str) -> Any:
    """Python-repr text (Chrononaut 0.4 stores JSON columns with str()) or JSON text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return json.loads(text)


def normalise_name(name: str) -> str:
    return name.replace("_", "").lower()
