"""Parsing user-given times: ISO-8601 (with or without offset) and relative forms like 2h, 3d, 1w."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from chrono_cli.conventions.rows import zone
from chrono_cli.errors import UsageError

_RELATIVE = re.compile(r"^(\d+)\s*(s|m|min|h|d|w)(?:\s*ago)?$", re.IGNORECASE)
_HINT = "use ISO-8601 (2026-11-20T09:00Z, 2026-11-20 09:00+01:00) or 2h, 3d, 1w (ago)"
_UNITS = {"s": "seconds", "m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def looks_like_time(text: str) -> bool:
    """True for things that parse as a time rather than a version number."""
    return bool(_RELATIVE.match(text.strip())) or bool(re.match(r"^\d{4}-\d{2}-\d{2}", text.strip())) or \
        text.strip().lower() == "now"


def parse_time(text: str, *, now: datetime | None = None, tz_name: str | None = None) -> datetime:
    """An aware UTC datetime; naive input is read in ``tz_name`` (default UTC)."""
    raw = text.strip()
    if not raw:
        raise UsageError("empty time", hint=_HINT)
    if "\x00" in raw or not raw.isprintable():
        raise UsageError(f"cannot read time {text!r}: it holds control characters", hint=_HINT)
    now = now or datetime.now(UTC)
    if raw.lower() == "now":
        return now
    m = _RELATIVE.match(raw)
    if m:
        try:
            return now - timedelta(**{_UNITS[m.group(2).lower()]: int(m.group(1))})
        except (OverflowError, ValueError):
            raise UsageError(f"time {text!r} lies before the year 1",
                             hint="relative times count back from now; give a smaller amount") from None
    iso = raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw
    try:
        value = datetime.fromisoformat(iso)
    except (ValueError, OverflowError):
        raise UsageError(f"cannot read time {text!r}", hint=_HINT) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(tz_name))
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise UsageError(f"time {text!r} lies outside the calendar in UTC (years 1 to 9999)",
                         hint="give a time between 0001-01-01 and 9999-12-31 in UTC") from None
