"""How people read times and values: the zone once, no microseconds, relative times, unambiguous strings."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, tzinfo
from typing import Any

from chrono_cli.model import SECRET_NAMES
from chrono_cli.records import Struct, field

# format characters and odd spaces a reader cannot see: shown as \u escapes
_INVISIBLE = re.compile(r"[\u00a0\u00ad\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000\ufeff]")
_UNITS = (("year", 365 * 86400), ("month", 30 * 86400), ("week", 7 * 86400), ("day", 86400), ("hour", 3600),
          ("minute", 60), ("second", 1))


class Display(Struct, frozen=True):
    """The reader's zone (``--tz``, ``TZ``; UTC by default) and whether times read "3 hours ago"."""

    zone: tzinfo = UTC
    zone_name: str = "UTC"
    relative: bool = False
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    show_secrets: bool = False

    def hides(self, column: str) -> bool:
        """Whether a column's values read ``redacted``: its name says it holds a secret (not with --show-secrets)."""
        return not self.show_secrets and bool(SECRET_NAMES.search(column))

    def time(self, value: datetime | None) -> str:
        """A time for a person: in the reader's zone to the second, or relative to now."""
        if value is None:
            return ""
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        if self.relative:
            return relative(aware, self.now)
        return aware.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S")

    @property
    def legend(self) -> str:
        """Said once, next to the title: the zone every time is shown in."""
        return "times relative to now" if self.relative else f"times in {self.zone_name}"


def relative(value: datetime, now: datetime) -> str:
    """``3 hours ago``, ``in 2 days``, ``just now``: the largest whole unit."""
    seconds = (now - value).total_seconds()
    span = abs(seconds)
    if span < 1:
        return "just now"
    for unit, size in _UNITS:
        if span >= size:
            n = int(span // size)
            words = f"{n} {unit}{'' if n == 1 else 's'}"
            return f"{words} ago" if seconds > 0 else f"in {words}"
    return "just now"


def value_text(value: Any, base: str) -> str:
    """A stored string as it must read so that '', 'NULL', 'a ' and a zero-width space are told apart.

    ``base`` is the ordinary text of the value; only strings that would read as something else are quoted."""
    if not isinstance(value, str):
        return base
    escaped = visible(value)
    if value == "" or value.strip().upper() == "NULL" or value != value.strip() \
            or escaped != value or value in ("null", "true", "false", "''", "redacted"):
        return "'" + escaped.replace("'", "\\'") + "'"
    return value


def visible(value: str) -> str:
    """``value`` with the characters a reader cannot see (zero-width, controls but newline) as escapes."""
    escaped = _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    return "".join(c if unicodedata.category(c) != "Cc" or c == "\n" else f"\\x{ord(c):02x}" for c in escaped)
