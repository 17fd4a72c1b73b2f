"""Every read command on a degraded detection: data on stdout as usual, exactly one warning line on stderr."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from tests.cli.test_read_cli import demo  # noqa: F401 - the fixture
from tests.conftest import invoke

WARNING = ("warning: users_history does not match users (base column phone has no history column): columns it "
           "lacks are shown as not recorded; run chrono check-migrations")


@pytest.fixture
def drifted(demo: str) -> str:  # noqa: F811 - the imported fixture
    """The demo after a migration that added users.phone but not users_history.phone."""
    engine = create_engine(f"sqlite:///{demo}")
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE users ADD COLUMN phone VARCHAR(20)"))
        conn.execute(text("UPDATE users SET phone = '555-0100' WHERE id = 42"))
    engine.dispose()
    return demo


@pytest.mark.parametrize("fmt", ["plain", "json"])
@pytest.mark.parametrize("args", [["history", "users", "42"], ["show", "users", "42", "--version", "1"],
                                  ["diff", "users", "42", "1", "3", "--all"], ["blame", "users", "42"]],
                         ids=["history", "show", "diff", "blame"])
def test_one_warning_line_per_read(runner: CliRunner, drifted: str, args: list[str], fmt: str) -> None:
    result = invoke(runner, ["--db", drifted, "-f", fmt, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("warning:")] == [WARNING]
    assert WARNING not in result.stdout


def test_the_drifted_column_is_not_recorded_in_old_versions(runner: CliRunner, drifted: str) -> None:
    doc = json.loads(invoke(runner, ["--db", drifted, "-f", "json", "history", "users", "42"]).stdout)
    assert [("phone" in v["unrecorded"], v["values"].get("phone")) for v in doc["versions"]] == [
        (True, None), (True, None), (False, "555-0100")]
    shown = invoke(runner, ["--db", drifted, "-f", "json", "show", "users", "42", "--version", "1"]).stdout
    assert json.loads(shown)["version"]["unrecorded"] == ["phone"]


def test_tables_explain_shows_the_reasons(runner: CliRunner, drifted: str) -> None:
    result = invoke(runner, ["--db", drifted, "-f", "plain", "tables", "--explain"], catch_exceptions=False)
    assert result.exit_code == 0 and result.stderr == ""
    assert "history-meta: DEGRADED: base column phone has no history column" in result.stdout
    doc = json.loads(invoke(runner, ["--db", drifted, "-f", "json", "tables", "--explain"]).stdout)
    (users,) = doc["tables"]
    assert users["degraded"] == {"history-meta": ["base column phone has no history column"]}
    assert users["conventions"] == ["history-meta", "soft-delete"]


def test_no_warning_without_drift(runner: CliRunner, demo: str) -> None:  # noqa: F811
    result = invoke(runner, ["--db", demo, "-f", "json", "history", "users", "42"], catch_exceptions=False)
    assert result.exit_code == 0 and "warning:" not in result.stderr
    doc = json.loads(invoke(runner, ["--db", demo, "-f", "json", "tables", "--explain"]).stdout)
    assert doc["tables"][0]["degraded"] == {}


def _rows(url: str) -> list[tuple[object, ...]]:
    engine = create_engine(f"sqlite:///{url}")
    with engine.connect() as conn:
        rows = [tuple(r) for t in ("users", "users_history")
                for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY 1, 2"))]  # noqa: S608 - fixed names
    engine.dispose()
    return rows


@pytest.mark.parametrize("args", [["restore", "users", "42", "--version", "1"], ["archive", "users", "42"],
                                  ["restore", "users", "--keys", "-", "--at", "2020-01-01"]],
                         ids=["restore", "archive", "bulk-restore"])
def test_writes_to_a_degraded_store_are_refused(runner: CliRunner, drifted: str, args: list[str]) -> None:
    before = _rows(drifted)
    result = invoke(runner, ["--db", drifted, *args, "--yes"], input="42\n")
    assert result.exit_code == 6, result.output
    assert result.stderr.startswith("error: users_history does not match users (base column phone has no history "
                                    "column): a write would not be what history-meta writes\n")
    assert "hint: fix the drift first: chrono check-migrations --suggest" in result.stderr
    assert _rows(drifted) == before


def test_a_store_without_times_lists_no_changes_and_says_why(runner: CliRunner, demo: str) -> None:  # noqa: F811
    engine = create_engine(f"sqlite:///{demo}")
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE users_history DROP COLUMN changed"))
    engine.dispose()
    result = invoke(runner, ["--db", demo, "changes"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "note: users: users_history has no time column, so its changes cannot be listed by time" in result.stderr
