"""Values on the wire between the test process and the library workers, and their canonical comparison form.

Python values (decimals, dates, bytes, enums, non-finite floats) travel as tagged JSON; ``canon()`` maps a
value read by a library and the value chrono printed in ``-f json`` to one comparable form per column kind.
Nothing here imports ``chrono_cli``: the workers import it too.
"""

from __future__ import annotations

import base64
import enum
import math
from datetime import date, datetime
from decimal import Decimal
from typing import Any

# column kinds of the fuzz models (same names in every library's model)
KINDS = {
    "label": "text", "short": "text", "note": "text", "amount": "decimal", "ratio": "float", "flag": "bool",
    "day": "date", "at": "datetime", "naive": "datetime", "data": "json", "blob": "bytes", "color": "enum",
    "owner_id": "int", "extra": "text", "kind": "text",
}


def encode(value: Any) -> Any:
    """A Python value as tagged JSON (the inverse of ``decode``)."""
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return {"$enum": value.name}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)).startswith("$"):
            return {"$json": {k: encode(v) for k, v in value.items()}}
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    raise TypeError(f"cannot encode {value!r}")


def decode(value: Any) -> Any:
    """Tagged JSON back to Python values (enums stay member names)."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "$float":
            return float(inner.lower().replace("infinity", "inf"))
        if tag == "$enum":
            return inner
        if tag == "$decimal":
            return Decimal(inner)
        if tag == "$datetime":
            return datetime.fromisoformat(inner)
        if tag == "$date":
            return date.fromisoformat(inner)
        if tag == "$bytes":
            return base64.b64decode(inner)
        if tag == "$json":
            return {k: decode(v) for k, v in inner.items()}
    return {k: decode(v) for k, v in value.items()}


def canon(kind: str, value: Any, *, printed: bool) -> Any:
    """The comparable form of a column value: ``printed`` for chrono's ``-f json`` output, else a library's
    (decoded) value. A value of the wrong shape stays as it is and so compares unequal."""
    if value is None:
        return None
    if kind == "decimal":
        if printed:
            return ("decimal", Decimal(value)) if isinstance(value, str) else ("not a decimal string", value)
        return ("decimal", Decimal(value))
    if kind == "float":
        if printed and isinstance(value, dict) and set(value) == {"$float"}:
            value = float(value["$float"].lower().replace("infinity", "inf"))
        if isinstance(value, float | int) and not isinstance(value, bool):
            return ("float", "nan" if math.isnan(value) else repr(float(value)))
        return ("not a float", value)
    if kind == "date":
        if printed:
            return ("date", date.fromisoformat(value)) if isinstance(value, str) else ("not a date", value)
        return ("date", value)
    if kind == "datetime":
        if printed:
            value = datetime.fromisoformat(value) if isinstance(value, str) else ("not a timestamp", value)
        if isinstance(value, datetime) and value.tzinfo is not None:
            return ("aware", value.timestamp())
        return ("naive", value)
    if kind == "bytes":
        if printed:
            ok = isinstance(value, dict) and set(value) == {"$base64"}
            return ("bytes", base64.b64decode(value["$base64"])) if ok else ("not bytes", value)
        return ("bytes", bytes(value))
    if kind == "bool":
        return ("bool", value) if isinstance(value, bool) else ("not a boolean", value)
    return (kind, value)
