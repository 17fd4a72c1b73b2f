"""Type comparison for check-migrations: can the history column hold every value of the base column?"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import (
    CHAR,
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    Uuid,
)
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.types import NullType

from chrono_cli.conventions.types import Fit, type_family, type_fit

CASES: list[tuple[Any, Any, Fit]] = [
    # equal, or spellings of the same type
    (Integer(), Integer(), Fit.SAME),
    (String(50), String(50), Fit.SAME),
    (Text(), String(), Fit.SAME),
    (postgresql.TIMESTAMP(timezone=True), DateTime(timezone=True), Fit.SAME),
    (postgresql.ENUM("a", "b", name="r"), postgresql.ENUM("a", "b", name="r"), Fit.SAME),
    (Numeric(10, 2), Numeric(10, 2), Fit.SAME),
    (NullType(), NullType(), Fit.SAME),
    (postgresql.ARRAY(Integer()), postgresql.ARRAY(Integer()), Fit.SAME),
    (Boolean(), mysql.TINYINT(display_width=1), Fit.SAME),
    # narrowing: the examples
    (String(100), String(50), Fit.NARROWER),
    (Text(), String(255), Fit.NARROWER),
    (Numeric(12, 2), Numeric(10, 2), Fit.NARROWER),
    (Numeric(10, 4), Numeric(10, 2), Fit.NARROWER),
    (Numeric(), Numeric(10, 2), Fit.NARROWER),
    (Text(), Integer(), Fit.NARROWER),
    (BigInteger(), Integer(), Fit.NARROWER),
    (Integer(), SmallInteger(), Fit.NARROWER),
    (Numeric(10, 2), Integer(), Fit.NARROWER),
    (DateTime(), Date(), Fit.NARROWER),
    (Enum("a", "b", "c", name="e"), Enum("a", "b", name="e"), Fit.NARROWER),
    (Enum("long-value", name="e"), String(4), Fit.NARROWER),
    (LargeBinary(100), LargeBinary(10), Fit.NARROWER),
    (postgresql.ARRAY(String(20)), postgresql.ARRAY(String(10)), Fit.NARROWER),
    (Integer(), Numeric(5, 0), Fit.NARROWER),
    # widening: history holds more
    (String(50), String(100), Fit.WIDER),
    (String(50), Text(), Fit.WIDER),
    (Integer(), BigInteger(), Fit.WIDER),
    (Numeric(10, 2), Numeric(12, 4), Fit.WIDER),
    (Numeric(10, 2), Numeric(), Fit.WIDER),
    (Integer(), Numeric(12, 0), Fit.WIDER),
    (Date(), DateTime(), Fit.WIDER),
    (Enum("a", name="e"), Text(), Fit.WIDER),
    (Integer(), Float(precision=53), Fit.WIDER),
    # compatible with different semantics, kept as text, time zones
    (postgresql.JSONB(), postgresql.JSON(), Fit.LOOSER),
    (CHAR(10), String(10), Fit.LOOSER),
    (Integer(), Text(), Fit.AS_TEXT),
    (postgresql.JSONB(), Text(), Fit.AS_TEXT),
    (DateTime(timezone=True), DateTime(), Fit.TIMEZONE),
    (DateTime(), DateTime(timezone=True), Fit.TIMEZONE),
    (Integer(), NullType(), Fit.UNKNOWN),
    (postgresql.BIT(3), postgresql.BIT(5), Fit.UNKNOWN),
    (postgresql.TSVECTOR(), postgresql.TSVECTOR(), Fit.SAME),
    # different kinds of value
    (Boolean(), Integer(), Fit.OTHER),
    (Integer(), String(5), Fit.OTHER),
    (Uuid(), Integer(), Fit.OTHER),
    (JSON(), Integer(), Fit.OTHER),
]


@pytest.mark.parametrize(("base", "history", "fit"), CASES, ids=[f"{b!r}->{h!r}" for b, h, _ in CASES])
def test_type_fit(base: Any, history: Any, fit: Fit) -> None:
    got, reason = type_fit(base, history)
    assert got is fit
    assert (reason == "") == (fit is Fit.SAME)


def test_families() -> None:
    assert type_family(Boolean()) == "boolean"
    assert type_family(mysql.TINYINT(display_width=1)) == "boolean"
    assert type_family(mysql.TINYINT()) == "integer"
    assert type_family(Float()) == "float"
    assert type_family(postgresql.ENUM("a", name="x")) == "enum"
    assert type_family(postgresql.INTERVAL()) == "interval"
    assert type_family(postgresql.TSVECTOR()).startswith("other:")


def test_reasons_read_as_sentences() -> None:
    assert type_fit(Text(), Integer())[1] == "text does not fit an integer column"
    assert "overflow" in type_fit(BigInteger(), Integer())[1]
