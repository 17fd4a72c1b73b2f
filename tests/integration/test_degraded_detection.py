"""Schema drift never hides a table's history, and check-migrations checks what `chrono tables` shows.

Histories written by the real libraries (tests/support); then a migration adds a base column and forgets the
history column. `history` must still read every version the library wrote, show the new column as not
recorded, and say so in one warning line; check-migrations must report the drift (exit 3).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, String
from typer.testing import CliRunner

from tests.conftest import StoryClone, invoke
from tests.integration.restore_support import run_support, support_clone
from tests.integration.test_check_migrations import apply, check, found, load_fixture, migrate, write_config
from tests.integration.test_sa_examples import _same_values
from tests.support.stories import history_meta_story, versioned_rows_story

POLL = "djangoapp_poll"
POLL_CONFIG = f'[tables.{POLL}]\nexcluded = ["secret"]\n'


def _read(runner: CliRunner, url: str, *args: str, config: Path | None = None) -> tuple[dict[str, Any], list[str]]:
    """``chrono -f json ARGS``: the document and the warning lines on stderr (PostgreSQL's schema left out)."""
    head = ["--db", url, "--show-secrets"] + (["--config", str(config)] if config else [])  # no redaction line
    result = invoke(runner, [*head, "-f", "json", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    warnings = [line.replace("public.", "") for line in result.stderr.splitlines() if line.startswith("warning:")]
    return json.loads(result.stdout), warnings


def _add_phone(url: str, table: str) -> None:
    def change(ops: Any) -> None:
        with ops.batch_alter_table(table) as b:
            b.add_column(Column("phone", String(20)))

    migrate(url, change)


def _assert_not_recorded(doc: dict[str, Any], column: str, *, live: bool = True) -> None:
    """Every recorded state lacks ``column`` and says so; the current one shows the live value if ``live``."""
    states = [v for v in doc["versions"] if v["values"] is not None]
    assert states
    for v in states:
        if v["current"] and live:
            assert column in v["values"] and column not in v["unrecorded"], v
        else:
            assert column not in v["values"] and column in v["unrecorded"], v


# --------------------------------------------------------------------------- history_meta


def test_history_meta_column_added_without_history_column(runner: CliRunner, db_url: str, tmp_path: Path) -> None:
    record = history_meta_story(db_url)
    _add_phone(db_url, "appuser")
    apply(db_url, ["UPDATE appuser SET phone = '555-0100' WHERE id = 1"])  # outside the library: no history row
    for config in (None, write_config(tmp_path, '[tables.appuser]\nconvention = "history-meta"\n')):
        for key, steps in record["timelines"]["appuser"].items():
            doc, warnings = _read(runner, db_url, "history", "appuser", str(key), config=config)
            assert doc["convention"] == "history-meta"
            assert warnings == ["warning: appuser_history does not match appuser (base column phone has no history "
                                "column): columns it lacks are shown as not recorded; run chrono check-migrations"]
            states = [s for s in steps if s["op"] != "delete"]
            recorded = [v for v in doc["versions"] if v["operation"] != "delete"]
            assert len(recorded) == len(states)
            for step, v in zip(states, recorded, strict=True):
                assert _same_values(v["values"], step["state"]), (key, step, v)
            if steps[-1]["op"] != "delete":
                _assert_not_recorded(doc, "phone")
        current, _ = _read(runner, db_url, "show", "appuser", "1", config=config)
        assert current["version"]["values"]["phone"] == "555-0100"
        first, warnings = _read(runner, db_url, "show", "appuser", "1", "--version", "1", config=config)
        assert "phone" in first["version"]["unrecorded"] and len(warnings) == 1
    tables, _ = _read(runner, db_url, "tables", "--explain")
    appuser = next(t for t in tables["tables"] if t["table"].rsplit(".", 1)[-1] == "appuser")
    assert appuser["degraded"] == {"history-meta": ["base column phone has no history column"]}
    code, report = check(runner, db_url)
    assert code == 3
    assert found(report) == {("missing-column", "error", "appuser_history", "phone")}


# --------------------------------------------------------------------------- SQLAlchemy-Continuum


def test_continuum_column_added_without_version_column(runner: CliRunner, sqlite_or_pg_url: str,
                                                       tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy_continuum")
    url = sqlite_or_pg_url
    run_support("continuum_story", url, tmp_path, "--no-tracker")
    config = write_config(tmp_path, '[tables.article]\nexcluded = ["views"]\n')  # the app's `exclude`
    before, warnings = _read(runner, url, "history", "article", "1", config=config)
    assert warnings == []
    assert check(runner, url, "--strict", config=config)[0] == 0
    _add_phone(url, "article")
    doc, warnings = _read(runner, url, "history", "article", "1", config=config)
    assert warnings == ["warning: article_version does not match article (base column phone has no history column "
                        "(excluded, or a migration missed it)): columns it lacks are shown as not recorded; run "
                        "chrono check-migrations"]
    assert [{k: v for k, v in s["values"].items() if k != "phone"} for s in doc["versions"] if s["values"]] \
        == [s["values"] for s in before["versions"] if s["values"]]
    _assert_not_recorded(doc, "phone")
    _, warnings = _read(runner, url, "history", "article", "1")  # undeclared `exclude` is ambiguous too
    assert len(warnings) == 1 and "base column views" in warnings[0] and "base column phone" in warnings[0]
    code, report = check(runner, url, "--strict", config=config)
    assert code == 3
    assert found(report) == {("missing-column", "warning", "article_version", "phone")}


def test_continuum_half_migration_with_mod_flag(runner: CliRunner, sqlite_or_pg_backend: str,
                                                story_clone: StoryClone) -> None:
    pytest.importorskip("sqlalchemy_continuum")
    url, _ = support_clone(story_clone, sqlite_or_pg_backend, "continuum_story")
    _add_phone(url, "tag")
    apply(url, ["ALTER TABLE tag_version ADD COLUMN phone_mod BOOLEAN NOT NULL DEFAULT false"])
    doc, warnings = _read(runner, url, "history", "tag", "3")
    assert warnings == ["warning: tag_version does not match tag (base column phone has no history column but "
                        "phone_mod is there: a migration dropped it): columns it lacks are shown as not recorded; "
                        "run chrono check-migrations"]
    _assert_not_recorded(doc, "phone", live=False)  # the current state is the newest version row's
    code, report = check(runner, url)
    assert code == 0 and found(report) == {("missing-column", "warning", "tag_version", "phone")}
    assert check(runner, url, "--strict")[0] == 3


# --------------------------------------------------------------------------- django-simple-history


def test_simple_history_field_added_without_historical_column(runner: CliRunner, sqlite_or_pg_backend: str,
                                                              story_clone: StoryClone, tmp_path: Path) -> None:
    pytest.importorskip("simple_history")
    url, _ = support_clone(story_clone, sqlite_or_pg_backend, "simple_history_story")
    config = write_config(tmp_path, POLL_CONFIG)
    before, warnings = _read(runner, url, "history", POLL, "1", config=config)
    assert warnings == []
    _add_phone(url, POLL)
    doc, warnings = _read(runner, url, "history", POLL, "1", config=config)
    assert warnings == [f"warning: djangoapp_historicalpoll does not match {POLL} (base column phone has no history "
                        "column (excluded_fields, or a migration missed it)): columns it lacks are shown as not "
                        "recorded; run chrono check-migrations"]
    assert [{k: v for k, v in s["values"].items() if k != "phone"} for s in doc["versions"] if s["values"]] \
        == [s["values"] for s in before["versions"] if s["values"]]
    _assert_not_recorded(doc, "phone", live=False)  # like excluded_fields: the live row's phone is not history
    code, report = check(runner, url, "--strict", config=config)
    assert code == 3
    assert found(report) == {("missing-column", "warning", "djangoapp_historicalpoll", "phone")}


# --------------------------------------------------------------------------- one detection pass


def _shown(runner: CliRunner, url: str, config: Path | None = None) -> set[tuple[str, str, str]]:
    """(table, history, convention) of every detection `chrono tables --explain -f json` shows."""
    doc, _ = _read(runner, url, "tables", "--explain", config=config)
    out = set()
    for t in doc["tables"]:
        table = t["table"].rsplit(".", 1)[-1]
        stores = iter(t["history"])
        for convention in t["conventions"]:
            history = table if convention == "soft-delete" else next(stores)
            out.add((table, table if history == "(same table)" else history.rsplit(".", 1)[-1], convention))
    return out


def _checked(runner: CliRunner, url: str, config: Path | None = None) -> set[tuple[str, str, str]]:
    """What check-migrations checked, except a shared store checked on its own (its table is the store)."""
    _, doc = check(runner, url, config=config)
    return {(c["table"].rsplit(".", 1)[-1], c["history"].rsplit(".", 1)[-1], c["convention"]) for c in doc["checked"]
            if c["history"] is not None}


def _same_subjects(runner: CliRunner, url: str, config: Path | None = None) -> set[tuple[str, str, str]]:
    shown = _shown(runner, url, config)
    assert shown and _checked(runner, url, config) == shown
    return shown


def test_check_migrations_checks_what_tables_shows_sqlalchemy_stories(runner: CliRunner, sqlite_url: str,
                                                                      tmp_path: Path) -> None:
    history_meta_story(sqlite_url)
    versioned_rows_story(sqlite_url)
    shown = _same_subjects(runner, sqlite_url)
    assert {("appuser", "appuser_history", "history-meta"), ("employee", "employee_history", "history-meta")} <= shown
    assert any(c == "versioned-rows" for _, _, c in shown)
    _add_phone(sqlite_url, "appuser")  # degraded: still shown, still checked
    assert _same_subjects(runner, sqlite_url) == shown


def test_check_migrations_checks_what_tables_shows_library_stories(runner: CliRunner, story_clone: StoryClone,
                                                                   tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy_continuum")
    pytest.importorskip("simple_history")
    url, _ = support_clone(story_clone, "sqlite", "continuum_story", "--joined")
    assert ("book", "book_version", "continuum") in _same_subjects(runner, url)
    url, _ = support_clone(story_clone, "sqlite", "simple_history_story")
    config = write_config(tmp_path, POLL_CONFIG)
    assert (POLL, "djangoapp_historicalpoll", "simple-history") in _same_subjects(runner, url, config)


@pytest.mark.parametrize("fixture", ["chrononaut_02", "chrononaut_04", "potion"])
def test_check_migrations_checks_what_tables_shows_library_dumps(runner: CliRunner, pg_url: str, tmp_path: Path,
                                                                 fixture: str) -> None:
    load_fixture(pg_url, fixture)
    shown = _same_subjects(runner, pg_url)
    assert shown
