"""Timelines read from databases the real libraries wrote (Chrononaut 0.2 / 0.4, Flask-Potion), on PostgreSQL.

The dumps and the library's own account of each story live in tests/fixtures (see its README). Every
assertion compares chrono's reading with what the application did, step by step.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from tests.conftest import invoke

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def load_fixture(url: str, name: str) -> dict[str, Any]:
    """Load ``<name>.sql`` into the database at ``url``; return ``<name>.expected.json``."""
    u = make_url(url)
    conn = psycopg2.connect(host=u.host, port=u.port, user=u.username, dbname=u.database)
    with conn, conn.cursor() as cur:
        cur.execute((FIXTURES / f"{name}.sql").read_text())
    conn.close()
    return json.loads((FIXTURES / f"{name}.expected.json").read_text())


def history(runner: CliRunner, url: str, table: str, key: str, *extra: str) -> dict[str, Any]:
    result = invoke(runner, ["--db", url, "-f", "json", *extra, "history", table, key], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def expected_versions(steps: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The steps that made a new version (or deleted the row), in order."""
    out: list[dict[str, Any]] = []
    last: object = object()
    for step in steps:
        if step["key"] != key:
            continue
        if step["action"] == "delete" or step["version_after"] != last:
            out.append(step)
        last = step["version_after"]
    return out


def _norm(values: dict[str, Any], columns: list[str], rename: dict[str, str] | None = None) -> dict[str, Any]:
    rename = rename or {}
    out = {}
    for attr, value in values.items():
        column = rename.get(attr, attr)
        if column in columns:
            out[column] = str(Decimal(value)) if column == "balance" and value is not None else value
    return out


def _within(ts: str, step: dict[str, Any]) -> bool:
    return step["started_at"] <= ts <= step["finished_at"]


@pytest.mark.parametrize("key", ["1", "2"])
def test_chrononaut_02_timelines(runner: CliRunner, pg_url: str, key: str) -> None:
    expected = load_fixture(pg_url, "chrononaut_02")
    doc = history(runner, pg_url, "appuser", key)
    assert doc["convention"] == "chrononaut" and doc["history"] == "public.appuser_history"
    steps = expected_versions(expected["steps"], f"appuser:{key}")
    versions = doc["versions"]
    assert [v["operation"] for v in versions] == [
        "insert" if s["action"] == "insert" else s["action"] for s in steps]
    tracked = ["id", "email", "name", "created"]
    for step, v in zip(steps, versions, strict=True):
        if step["action"] == "delete":
            assert v["values"] is None
            assert v["actor"] == step["actor"] and v["reason"] == step["rationale"]
            assert _within(v["valid_from"], step)
            continue
        assert v["version"] == step["version_after"]
        assert _norm(v["values"], tracked) == _norm(step["row_after"], tracked)
        if step["action"] == "update":
            assert v["actor"] == step["actor"]
            assert v["reason"] == step["rationale"]
            assert _within(v["valid_from"], step)
        else:
            assert v["valid_from"] is None  # layout A does not record inserts
    if key == "1":
        assert {"password", "last_seen"} <= set(versions[0]["unrecorded"])
        noted = [v["seq"] for v in versions if "password" in (v.get("note") or "")]
        assert len(noted) == 1  # the hidden-only change, as change_info's hidden_cols_changed says
        assert versions[-1]["current"] is True


def test_chrononaut_02_custom_history_name_and_near_miss(runner: CliRunner, pg_url: str) -> None:
    expected = load_fixture(pg_url, "chrononaut_02")
    doc = history(runner, pg_url, "note", "1")
    assert doc["history"] == "public.note_audit"
    steps = expected_versions(expected["steps"], "note:1")
    assert [v["values"]["title"] for v in doc["versions"]] == [s["row_after"]["title"] for s in steps]
    tables = json.loads(invoke(runner, ["--db", pg_url, "-f", "json", "tables"]).stdout)["tables"]
    names = {t["table"] for t in tables}
    assert "public.order_status" not in names and "public.order_status_history" not in names
    assert {"public.appuser", "public.note"} <= names


@pytest.mark.parametrize("key", ["1", "2", "3"])
def test_chrononaut_04_timelines(runner: CliRunner, pg_url: str, key: str) -> None:
    expected = load_fixture(pg_url, "chrononaut_04")
    doc = history(runner, pg_url, "appuser", key)
    assert doc["convention"] == "chrononaut-activity" and doc["history"] == "public.chrononaut_activity"
    steps = expected_versions(expected["steps"], f"appuser:{key}")
    versions = doc["versions"]
    assert [v["operation"] for v in versions] == [s["action"] for s in steps]
    rename = expected["tables"]["appuser"]["attribute_to_column"]
    columns = ["id", "email", "name", "created", "prefs", "role", "last_login", "balance", "nick_name"]
    for step, v in zip(steps, versions, strict=True):
        assert _within(v["valid_from"], step)
        assert v["actor"] == step["actor"]
        assert v["reason"] == step["rationale"]
        if step["action"] == "delete":
            assert v["values"] is None
            continue
        assert v["version"] == step["version_after"]
        assert _norm(v["values"], columns) == _norm(step["row_after"], columns, rename)
        assert "password" in v["unrecorded"]
    if key == "2":  # re-created key: version 0 twice, each selectable by position
        result = invoke(runner, ["--db", pg_url, "show", "appuser", "2", "--version", "0"])
        assert result.exit_code == 2 and "p1 or p4" in result.stderr
        show = json.loads(invoke(runner, ["--db", pg_url, "-f", "json", "show", "appuser", "2",
                                          "--version", "#4"]).stdout)
        assert show["version"]["values"]["name"] == steps[3]["row_after"]["name"]
    if key == "3":
        assert versions[-1]["operation"] == "delete"


def test_chrononaut_04_real_values_not_reprs(runner: CliRunner, pg_url: str) -> None:
    load_fixture(pg_url, "chrononaut_04")
    doc = history(runner, pg_url, "appuser", "1")
    admin = next(v for v in doc["versions"] if v["values"] and v["values"]["role"] == "ADMIN")
    assert isinstance(admin["values"]["prefs"], dict)
    assert all(not str(v["values"]["role"]).startswith("Role.") for v in doc["versions"] if v["values"])


@pytest.mark.parametrize("key", ["1", "2"])
def test_potion_timelines_rebuilt_from_diffs(runner: CliRunner, pg_url: str, key: str) -> None:
    expected = load_fixture(pg_url, "potion")
    doc = history(runner, pg_url, "article", key)
    assert doc["convention"] == "potion" and doc["history"] == "public.history_record"
    steps = [s for s in expected["steps"] if s["key"] == f"article:{key}"]
    versions = doc["versions"]
    assert len(versions) == len(steps)  # the insert (rebuilt) + one entry per history_record
    columns = ["id", "title", "body", "published_at", "author_id", "is_archived"]
    for step, v in zip(steps, versions, strict=True):
        assert _norm(v["values"], columns) == _norm(step["row_after"], columns)
    records = expected["records"][f"article:{key}"]["history_records"]
    assert [v["version"] for v in versions[1:]] == [r["id"] for r in records]
    noop = [v for v, r in zip(versions[1:], records, strict=True) if r["changes"] == []]
    assert all(v["changes"] == [] and "no-op" in v["note"] for v in noop)


def test_potion_archive_and_tables(runner: CliRunner, pg_url: str) -> None:
    expected = load_fixture(pg_url, "potion")
    tables = json.loads(invoke(runner, ["--db", pg_url, "-f", "json", "tables", "--counts"]).stdout)["tables"]
    article = next(t for t in tables if t["table"] == "public.article")
    assert article["conventions"] == ["potion", "soft-delete"] and article["archive_column"] == "is_archived"
    assert article["history_rows"] == sum(len(r["history_records"]) for k, r in expected["records"].items()
                                          if k.startswith("article:"))
    assert not any(t["table"] == "public.author" for t in tables)
