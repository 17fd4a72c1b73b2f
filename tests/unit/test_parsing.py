"""Times, keys, table names and version specs as the user types them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Integer, String, Uuid

from chrono_cli.config import Config
from chrono_cli.errors import AmbiguousTable, TableNotFound, UsageError
from chrono_cli.model import TableRef
from chrono_cli.services.keys import parse_key
from chrono_cli.services.resolve import resolve_table
from chrono_cli.services.times import parse_time

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-11-20T09:00Z", datetime(2026, 11, 20, 9, 0, tzinfo=UTC)),
    ("2026-11-20T09:00:00+01:00", datetime(2026, 11, 20, 8, 0, tzinfo=UTC)),
    ("2026-11-20 09:00", datetime(2026, 11, 20, 9, 0, tzinfo=UTC)),
    ("2026-11-20", datetime(2026, 11, 20, 0, 0, tzinfo=UTC)),
    ("2h", NOW - timedelta(hours=2)),
    ("3d", NOW - timedelta(days=3)),
    ("1w ago", NOW - timedelta(weeks=1)),
    ("now", NOW),
])
def test_times(text: str, expected: datetime) -> None:
    assert parse_time(text, now=NOW) == expected


def test_naive_time_in_configured_zone() -> None:
    assert parse_time("2026-07-01T12:00", tz_name="Europe/Berlin") == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["the day before", "2026-13-01", "5 parsecs", "", "1M"])
def test_bad_times(text: str) -> None:
    with pytest.raises(UsageError):
        parse_time(text, now=NOW)


def test_keys_cast_by_column_type() -> None:
    types = {"id": Integer(), "code": String(), "uid": Uuid()}
    assert parse_key("42", ("id",), types).as_dict() == {"id": 42}
    assert parse_key("id=42", ("id",), types).as_dict() == {"id": 42}
    assert parse_key("code=a,id=5", ("id", "code"), types).items == (("id", 5), ("code", "a"))
    u = uuid.uuid4()
    assert parse_key(str(u), ("uid",), types).as_dict() == {"uid": u}


@pytest.mark.parametrize(("text", "cols", "message"), [
    ("abc", ("id",), "not a valid int"),
    ("5", ("id", "code"), "the key has 2 columns"),
    ("nope=5", ("id",), "not a key column"),
    ("id=5", ("id", "code"), "missing code"),
    ("not-a-uuid", ("uid",), "not a valid UUID"),
])
def test_bad_keys(text: str, cols: tuple[str, ...], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_key(text, cols, {"id": Integer(), "code": String(), "uid": Uuid()})


NAMES = {"public": ["users", "order_items", "categories", "appuser"], "audit": ["users"]}


@pytest.mark.parametrize(("query", "expected"), [
    ("users", TableRef("public", "users")),
    ("user", TableRef("public", "users")),
    ("USERS", TableRef("public", "users")),
    ("audit.users", TableRef("audit", "users")),
    ("order_item", TableRef("public", "order_items")),
    ("OrderItem", TableRef("public", "order_items")),
    ("category", TableRef("public", "categories")),
    ("AppUser", TableRef("public", "appuser")),
])
def test_table_names(query: str, expected: TableRef) -> None:
    assert resolve_table(query, NAMES, Config()) == expected


def test_alias_and_did_you_mean() -> None:
    assert resolve_table("member", NAMES, Config(aliases={"member": "appuser"})) == TableRef("public", "appuser")
    with pytest.raises(TableNotFound) as err:
        resolve_table("userz", NAMES, Config())
    assert "did you mean 'users'" in (err.value.hint or "")


def test_ambiguous_case_insensitive_names() -> None:
    with pytest.raises(AmbiguousTable):
        resolve_table("item", {None: ["Item", "ITEM"]}, Config())
