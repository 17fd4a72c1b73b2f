"""PaperTrail's ``object`` / ``object_changes`` values, read and written in the store's own serialization.

Three forms exist: a json/jsonb column (``ActiveSupport::JSON`` of the attributes: decimals as strings without
scale, times in UTC cut to milliseconds), a text column holding YAML (the default serializer, psych.py), or a text
column holding JSON text (``PaperTrail.serializer = PaperTrail::Serializers::JSON``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from chrono_cli.conventions.builtin.paper_trail import psych
from chrono_cli.conventions.decode import Undecodable, decode
from chrono_cli.conventions.rows import zone
from chrono_cli.conventions.types import is_json
from chrono_cli.db.reflect import ColumnInfo
from chrono_cli.records import Struct


def parse(raw: Any) -> Any:
    """A stored ``object``/``object_changes`` as data (None: SQL NULL)."""
    if raw is None or isinstance(raw, dict | list):
        return raw
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    if text.lstrip().startswith(("{", "[")):
        return json.loads(text)
    return psych.load(text)


def column_value(value: Any, column: ColumnInfo, tz: str | None) -> Any:
    """One stored attribute as the value the column holds (JSON attributes arrive as JSON text in YAML)."""
    if value is None:
        return None
    if is_json(column.type) and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(zone(tz))  # ActiveRecord's default_timezone: naive columns hold UTC (or local time)
    try:
        return decode(value.isoformat() if isinstance(value, datetime) else value, column.type, tz)
    except Undecodable:
        return value


class Form(Struct, frozen=True):
    """How one store writes its documents: a JSON column, JSON text, or YAML text in Psych's style."""

    json_column: bool = False
    json_text: bool = False
    style: psych.Style = psych.Style()  # noqa: RUF009 - a frozen value
    zone: str | None = None  # the zone naive column values are in (ActiveRecord's default_timezone; None: UTC)

    def document(self, values: Mapping[str, Any], columns: Mapping[str, ColumnInfo], *, pairs: bool = False) -> Any:
        """``values`` (attribute -> column value; ``pairs``: -> [old, new]) as this store writes them."""
        each = _as_json if self.json_column else _as_text_json if self.json_text else _as_yaml
        data = {k: [each(_aware(x, self.zone), columns.get(k)) for x in v] if pairs
                else each(_aware(v, self.zone), columns.get(k)) for k, v in values.items()}
        if self.json_column:
            return data
        if self.json_text:
            return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        return psych.dump(data, self.style)


def _aware(value: Any, zone_name: str | None) -> Any:
    """A naive column time as the instant it names (ActiveRecord reads naive columns in its default_timezone)."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=zone(zone_name))
    return value


def _as_json(value: Any, column: ColumnInfo | None) -> Any:
    """ActiveSupport::JSON's form of an attribute value (JSON attributes nested, not as text)."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, datetime):
        utc = value.astimezone(UTC) if value.tzinfo else value
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
    if isinstance(value, date):
        return value.isoformat()
    return value


def _as_text_json(value: Any, column: ColumnInfo | None) -> Any:
    """PaperTrail::Serializers::JSON: attributes through their type's ``serialize`` (JSON attributes as text)."""
    if column is not None and is_json(column.type) and value is not None:
        return as_support_json(value)
    return _as_json(value, column)


def _as_yaml(value: Any, column: ColumnInfo | None) -> Any:
    """The Ruby value ``YAML.dump`` sees: JSON attributes as their JSON text."""
    if column is not None and is_json(column.type) and value is not None:
        return as_support_json(value)
    return value


def decimal_text(value: Decimal) -> str:
    """``BigDecimal#to_s('F')``-like text ActiveSupport::JSON writes: no scale (``12.30`` -> ``"12.3"``)."""
    text = format(value.normalize(), "f")
    return text if "." in text else text + ".0"


def as_support_json(value: Any) -> str:
    """``ActiveSupport::JSON.encode``: compact, HTML-significant characters escaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for ch, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                        ("\u2029", "\\u2029")):
        text = text.replace(ch, escaped)
    return text
