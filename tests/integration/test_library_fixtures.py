"""Timelines read from databases the real libraries wrote (Chrononaut 0.2 / 0.4, Flask-Potion), on PostgreSQL.

The dumps and the library's own account of each story live in tests/fixtures (see its README). Whole
timelines against each library's own reading: tests/conformance (cases chrononaut, chrononaut-activity,
potion). Here: what chrono adds (notes, unrecorded columns, positions), detection, archive.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg2
from sqlalchemy import create_engine, text
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


def test_chrononaut_02_unrecorded_and_hidden_change_note(runner: CliRunner, pg_url: str) -> None:
    """What chrono adds to Chrononaut 0.2's versions (values, times, actors, reasons: tests/conformance)."""
    load_fixture(pg_url, "chrononaut_02")
    doc = history(runner, pg_url, "appuser", "1")
    assert doc["convention"] == "chrononaut" and doc["history"] == "public.appuser_history"
    versions = doc["versions"]
    assert {"password", "last_seen"} <= set(versions[0]["unrecorded"])
    noted = [v["seq"] for v in versions if "password" in (v.get("note") or "")]
    assert len(noted) == 1  # the hidden-only change, as change_info's hidden_cols_changed says


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


def test_chrononaut_04_recreated_key_versions_by_position(runner: CliRunner, pg_url: str) -> None:
    """A re-created key numbers from 0 again: a version number is ambiguous, a position is not."""
    expected = load_fixture(pg_url, "chrononaut_04")
    doc = history(runner, pg_url, "appuser", "2")
    assert doc["convention"] == "chrononaut-activity" and doc["history"] == "public.chrononaut_activity"
    assert all("password" in v["unrecorded"] for v in doc["versions"] if v["values"] is not None)
    steps = expected_versions(expected["steps"], "appuser:2")
    result = invoke(runner, ["--db", pg_url, "show", "appuser", "2", "--version", "0"])
    assert result.exit_code == 2 and "p1 or p4" in result.stderr
    show = json.loads(invoke(runner, ["--db", pg_url, "-f", "json", "show", "appuser", "2", "--version", "#4"]).stdout)
    assert show["version"]["values"]["name"] == steps[3]["row_after"]["name"]


def test_chrononaut_04_real_values_not_reprs(runner: CliRunner, pg_url: str) -> None:
    load_fixture(pg_url, "chrononaut_04")
    doc = history(runner, pg_url, "appuser", "1")
    admin = next(v for v in doc["versions"] if v["values"] and v["values"]["role"] == "ADMIN")
    assert isinstance(admin["values"]["prefs"], dict)
    assert all(not str(v["values"]["role"]).startswith("Role.") for v in doc["versions"] if v["values"])


def test_potion_no_op_records_noted(runner: CliRunner, pg_url: str) -> None:
    """Potion records a PATCH that changed nothing as an empty change list: chrono says so."""
    expected = load_fixture(pg_url, "potion")
    doc = history(runner, pg_url, "article", "1")
    assert doc["convention"] == "potion" and doc["history"] == "public.history_record"
    records = expected["records"]["article:1"]["history_records"]
    noop = [v for v, r in zip(doc["versions"][1:], records, strict=True) if r["changes"] == []]
    assert noop and all(v["changes"] == [] and "no-op" in v["note"] for v in noop)


def test_potion_archive_and_tables(runner: CliRunner, pg_url: str) -> None:
    expected = load_fixture(pg_url, "potion")
    tables = json.loads(invoke(runner, ["--db", pg_url, "-f", "json", "tables", "--counts"]).stdout)["tables"]
    article = next(t for t in tables if t["table"] == "public.article")
    assert article["conventions"] == ["potion", "soft-delete"] and article["archive_column"] == "is_archived"
    assert article["history_rows"] == sum(len(r["history_records"]) for k, r in expected["records"].items()
                                          if k.startswith("article:"))
    assert not any(t["table"] == "public.author" for t in tables)


def test_potion_writes_outside_the_recorder_are_gaps_never_invented_changes(runner: CliRunner, pg_url: str) -> None:
    """Flask-Potion records only PATCHes made through Potion. A write outside it (raw SQL here, on the database
    the real library wrote) must show as an unrecorded change: the recorded states keep their recorded values,
    and no recorded change is paired with a value it never saw."""
    load_fixture(pg_url, "potion")
    before = history(runner, pg_url, "article", "1")["versions"]
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE article SET title = 'Edited behind Potion' WHERE id = 1"))
        # a later PATCH through Potion would record old = the edited title: the log no longer chains
        conn.execute(text(
            "INSERT INTO history_record (object_type, object_id, updated_at, changes) VALUES ('article', 1, "
            "now(), CAST(:changes AS jsonb))"), {"changes": json.dumps(
                [{"attribute": "title", "old": "Edited behind Potion", "new": "Patched through Potion"}])})
        conn.execute(text("UPDATE article SET title = 'Patched through Potion' WHERE id = 1"))
    engine.dispose()
    after = history(runner, pg_url, "article", "1")["versions"]
    # every state recorded before keeps its values: nothing of the new title is carried back
    for old, new in zip(before[:-1], after, strict=False):
        assert old["values"] == new["values"]
    gap = after[len(before)]
    assert gap["operation"] == "unknown" and "unrecorded change" in gap["note"]
    assert gap["values"]["title"] == "Edited behind Potion"
    assert gap["valid_from"] is None  # when the unrecorded write happened is unknown, never the next record's time
    last = after[-1]
    assert last["current"] and last["values"]["title"] == "Patched through Potion"
    assert [c for c in last["changes"] if c["column"] == "title"] == [
        {"column": "title", "old": "Edited behind Potion", "new": "Patched through Potion"}]
