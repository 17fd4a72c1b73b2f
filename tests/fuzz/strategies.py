"""Hypothesis strategies: column values per backend, and operation sequences on a few keys.

A story is a list of steps; a step is one transaction of one to three actions on distinct keys:
``["put", key, {column: value}, cls]`` (insert the row as ``cls`` if it does not exist, else update these columns:
several, one, none, or the values it already has) and ``["delete", key]`` (if it exists). Keys come from a small
set so that deleted keys are re-created. Values travel encoded (``wire.encode``) so that a worker process can run
them.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.fuzz.wire import encode

KEYS = (1, 2, 3)
COLORS = ("RED", "GREEN", "BLUE")  # enum member names (their values are lower case)
ODD_OFFSETS = (0, 1, -1, 5 * 60 + 45, -(9 * 60 + 30), 14 * 60, -12 * 60, 8 * 60 + 45, 13 * 60 + 45)
SPECIAL_TEXT = ("", " ", "  \t ", "\n", "é", "😀", "👩‍👩‍👧 family", "日本語", "a  b", "NULL", "null", "0", "'; --",
                "x" * 40, "y" * 15)


def examples(default: int) -> settings:
    """Bounded in CI (derandomized: the same examples every run); CHRONO_FUZZ_EXAMPLES=N runs N per test."""
    n = int(os.environ.get("CHRONO_FUZZ_EXAMPLES", default))
    return settings(max_examples=n, deadline=None, derandomize=os.environ.get("CHRONO_FUZZ_RANDOM") != "1",
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture],
                    print_blob=True)


def text(max_size: int = 40) -> st.SearchStrategy[str | None]:
    """Unicode (emoji, combining marks), empty and whitespace strings, NULL."""
    chars = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00")
    return st.one_of(st.none(), st.sampled_from([s for s in SPECIAL_TEXT if len(s) <= max_size]),
                     st.text(chars, max_size=min(max_size, 12)))


def json_values() -> st.SearchStrategy[Any]:
    """JSON documents with nulls and nesting (no NaN: JSON has none)."""
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**53), 2**53),
                        st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(["", " ", "😀", "a\"b"]),
                        st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=6))
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=5), inner, max_size=3)),
        max_leaves=6)


def column_values(dialect: str, *, aware_at: bool = True, naive: bool = True) -> dict[str, st.SearchStrategy[Any]]:
    """A strategy per fuzz column, limited to what the backend stores (MariaDB: no NaN, dates from 1000)."""
    finite_only = dialect == "mysql"
    low = date(1000, 1, 1) if dialect == "mysql" else date(1, 1, 1)
    edges = [date(1970, 1, 1), date(2000, 2, 29), date(9999, 12, 31), low, date(1969, 12, 31)]
    zones = st.sampled_from([timezone(timedelta(minutes=m)) for m in ODD_OFFSETS])
    stamp_low, stamp_high = datetime(1000 if dialect == "mysql" else 1, 1, 2), datetime(9999, 12, 30)
    if aware_at and dialect != "mysql":
        at = st.datetimes(datetime(1900, 1, 1), datetime(2200, 1, 1), timezones=zones)
    elif aware_at:  # MariaDB DATETIME keeps no offset: the application writes UTC
        at = st.datetimes(datetime(1970, 1, 2), datetime(2037, 1, 1)).map(lambda d: d.replace(tzinfo=UTC))
    else:
        at = st.datetimes(stamp_low, stamp_high)
    out: dict[str, st.SearchStrategy[Any]] = {
        "label": text(40),
        "note": text(200),
        "amount": st.one_of(st.none(), st.sampled_from([Decimal("0.00"), Decimal("-0.01"), Decimal("3.33"),
                                                        Decimal("1234.56"), Decimal("-99999.99")]),
                            st.decimals(min_value=-9999999, max_value=9999999, places=2)),
        "ratio": st.one_of(st.none(), st.sampled_from([0.0, -0.0, 0.1, -1.5, 1e300, 5e-324]),
                           st.floats(allow_nan=not finite_only, allow_infinity=not finite_only)),
        "flag": st.one_of(st.none(), st.booleans()),
        "day": st.one_of(st.none(), st.sampled_from(edges), st.dates(low, date(9999, 12, 31))),
        "at": st.one_of(st.none(), at),
        "data": json_values(),
        "blob": st.one_of(st.none(), st.binary(max_size=16)),
        "color": st.one_of(st.none(), st.sampled_from(COLORS)),
        "owner_id": st.sampled_from([None, 1, 2]),
    }
    if naive:
        out["naive"] = st.one_of(st.none(), st.sampled_from([stamp_low, stamp_high, datetime(2000, 2, 29, 23, 59, 59)]),
                                 st.datetimes(stamp_low, stamp_high))
    return out


def stories(columns: dict[str, st.SearchStrategy[Any]], *, classes: tuple[str, ...] = ("thing",),
            extra: dict[str, st.SearchStrategy[Any]] | None = None, max_steps: int = 8) -> st.SearchStrategy[Any]:
    """Lists of steps (one transaction each) of puts and deletes on ``KEYS``; ``extra`` columns only on the
    second class (single-table inheritance)."""
    names = sorted(columns)
    extra = extra or {}

    @st.composite
    def put(draw: st.DrawFn, key: int) -> list[Any]:
        cls = draw(st.sampled_from(classes))
        pool = names + (sorted(extra) if cls != classes[0] else [])
        chosen = draw(st.lists(st.sampled_from(pool), unique=True, max_size=len(pool)))
        values = {c: encode(draw(columns[c] if c in columns else extra[c])) for c in sorted(chosen)}
        return ["put", key, values, cls]

    @st.composite
    def step(draw: st.DrawFn) -> list[Any]:
        keys = draw(st.lists(st.sampled_from(KEYS[:1] + KEYS), min_size=1, max_size=3, unique=True))
        return [draw(st.one_of(put(k), st.just(["delete", k]))) for k in keys]

    return st.lists(step(), min_size=2, max_size=max_steps)
