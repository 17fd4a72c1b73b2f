"""Parsing user-given times: ISO-8601, epoch seconds, and what people type: 2h, 3d, "3 days ago", 2weeks, 1mo,
1y, yesterday, today, now, "Nov 16"."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta

from chrono_cli.conventions.rows import zone
from chrono_cli.errors import UsageError

_AMOUNT = re.compile(r"^(\d+)\s*([a-z]+)(?:\s+ago)?$", re.IGNORECASE)
_HINT = ("use ISO-8601 (2026-11-20T09:00Z, 2026-11-20 09:00+01:00), epoch seconds, yesterday, today, 'Nov 16', "
         "or an age: 30s, 5m, 2h, 3d, 2w, 1mo, 1y ('3 days ago')")
_UNITS = {"s": "seconds", "sec": "seconds", "secs": "seconds", "second": "seconds", "seconds": "seconds",
          "m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
          "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
          "d": "days", "day": "days", "days": "days", "w": "weeks", "wk": "weeks", "week": "weeks", "weeks": "weeks",
          "mo": "months", "mon": "months", "month": "months", "months": "months",
          "y": "years", "yr": "years", "yrs": "years", "year": "years", "years": "years"}
_EPOCH = re.compile(r"^@?\d{9,11}(?:\.\d+)?$")   # seconds since 1970: 2001-09-09 to 5138
_DAY_FORMATS = ("%b %d", "%B %d", "%d %b", "%d %B", "%b %d %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y",
                "%b %d, %Y", "%B %d, %Y")


def looks_like_time(text: str) -> bool:
    """True for things that parse as a time rather than a version number."""
    raw = text.strip()
    if raw.lower() in ("now", "today", "yesterday") or re.match(r"^\d{4}-\d{2}-\d{2}", raw):
        return True
    m = _AMOUNT.match(raw)
    return bool(m and m.group(2).lower() in _UNITS) or _month_day(raw, datetime.now(UTC), None) is not None


def parse_time(text: str, *, now: datetime | None = None, tz_name: str | None = None) -> datetime:
    """An aware UTC datetime; naive input (and today, yesterday, 'Nov 16') is read in ``tz_name`` (default UTC)."""
    raw = text.strip()
    if not raw:
        raise UsageError("empty time", hint=_HINT)
    if "\x00" in raw or not raw.isprintable():
        raise UsageError(f"cannot read time {text!r}: it holds control characters", hint=_HINT)
    now = now or datetime.now(UTC)
    word = raw.lower()
    if word == "now":
        return now
    if word in ("today", "yesterday"):
        local = now.astimezone(zone(tz_name))
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return (midnight - timedelta(days=1 if word == "yesterday" else 0)).astimezone(UTC)
    m = _AMOUNT.match(raw)
    if m and (m.group(2) == "M" or m.group(2).lower() in _UNITS):
        return _ago(text, int(m.group(1)), m.group(2), now)
    if _EPOCH.match(raw):
        try:
            return datetime.fromtimestamp(float(raw.lstrip("@")), UTC)
        except (OverflowError, ValueError, OSError):
            raise UsageError(f"cannot read time {text!r} as epoch seconds", hint=_HINT) from None
    day = _month_day(raw, now, tz_name)
    if day is not None:
        return day
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


def _ago(text: str, amount: int, unit: str, now: datetime) -> datetime:
    """``now`` minus an amount; ``M`` is refused (minutes or months?), months and years follow the calendar."""
    if unit == "M":
        raise UsageError(f"cannot read time {text!r}: M could mean minutes or months",
                         hint=f"write {amount}m for minutes or {amount}mo for months")
    name = _UNITS[unit.lower()]
    try:
        if name in ("months", "years"):
            return _months_back(now, amount * (12 if name == "years" else 1))
        return now - timedelta(**{name: amount})
    except (OverflowError, ValueError):
        raise UsageError(f"time {text!r} lies before the year 1",
                         hint="relative times count back from now; give a smaller amount") from None


def _months_back(now: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the month's last day when shorter)."""
    index = now.year * 12 + now.month - 1 - months
    year, month = divmod(index, 12)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)


def _month_day(raw: str, now: datetime, tz_name: str | None) -> datetime | None:
    """``Nov 16`` (midnight, the last such day not in the future), ``16 November 2026``; None if not that form."""
    for fmt in _DAY_FORMATS:
        try:
            parsed = datetime.strptime(raw, fmt)
        except ValueError:
            continue
        local = now.astimezone(zone(tz_name))
        if "%Y" not in fmt:
            try:
                parsed = parsed.replace(year=local.year)
            except ValueError:  # Feb 29 in another year
                continue
            if parsed.date() > local.date():
                parsed = parsed.replace(year=local.year - 1)
        return parsed.replace(tzinfo=zone(tz_name)).astimezone(UTC)
    return None
