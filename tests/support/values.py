"""The plain JSON-like value form the library stories and readers record (shared by tests/conformance/readers.py
and the Django stories). Kept free of heavy imports: every Django story subprocess imports it."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any


def plain(value: Any) -> Any:
    """A JSON-like value: Decimal as str, datetime as ISO text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value
