"""check-migrations against a baseline, on histories SQLAlchemy's own history_meta and versioned rows wrote.

A dropped history table must fail CI: with a baseline because the baseline says the table was versioned; without
one because the table still looks versioned (its ``version`` column) in a schema where history_meta versions
other tables. A database with no history at all must not pass silently either.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from typer.testing import CliRunner

from tests.conftest import StoryClone, invoke
from tests.integration.restore_support import sa_examples_clone


def run(url: str, *args: str, config: Path | None = None) -> Any:
    head = ["--db", url] + (["--config", str(config)] if config else [])
    return invoke(CliRunner(), [*head, "-f", "json", "check-migrations", *args])


def drop(url: str, table: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE {table}")  # a fixed test table name
    engine.dispose()


def test_a_baseline_catches_a_dropped_history_table(backend: str, story_clone: StoryClone, tmp_path: Path) -> None:
    url = sa_examples_clone(story_clone, backend)
    baseline = tmp_path / "chrono-baseline.json"
    written = run(url, "--write-baseline", str(baseline))
    assert written.exit_code == 0, written.output
    recorded = json.loads(baseline.read_text(encoding="utf-8"))
    assert recorded["chrono_baseline"] == 1
    got = {(t["table"].rsplit(".", 1)[-1], (t["history"] or "").rsplit(".", 1)[-1], t["convention"])
           for t in recorded["tables"]}
    assert {("appuser", "appuser_history", "history-meta"), ("employee", "employee_history", "history-meta"),
            ("price", "price", "versioned-rows")} <= got
    assert any("baseline written to" in n for n in json.loads(written.stdout)["summary"]["notes"])

    config = tmp_path / "chrono.toml"
    config.write_text('[check]\nbaseline = "chrono-baseline.json"\n', encoding="utf-8")
    clean = run(url, config=config)
    assert clean.exit_code == 0, clean.output

    # the history table and the version column both gone: nothing in the schema says employee was versioned
    drop(url, "employee_history")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE employee DROP COLUMN version")
    engine.dispose()
    assert run(url).exit_code == 0  # without the baseline this passes
    failed = run(url, config=config)
    assert failed.exit_code == 3, failed.output
    findings = json.loads(failed.stdout)["findings"]
    assert [(f["table"].rsplit(".", 1)[-1], f["kind"], f["severity"]) for f in findings] == \
        [("employee", "versioning-lost", "error")]


def test_without_a_baseline_a_lone_versioned_table_fails(backend: str, story_clone: StoryClone,
                                                         tmp_path: Path) -> None:
    url = sa_examples_clone(story_clone, backend)
    drop(url, "employee_history")
    failed = run(url)
    assert failed.exit_code == 3, failed.output
    findings = json.loads(failed.stdout)["findings"]
    assert any(f["table"].endswith("employee") and f["kind"] == "missing-history" and f["severity"] == "error"
               for f in findings), findings
    config = tmp_path / "chrono.toml"
    config.write_text("[tables.employee]\nignore = true\n", encoding="utf-8")
    ignored = run(url, config=config)
    assert ignored.exit_code == 0, ignored.output


def test_a_database_without_history_is_refused_unless_allowed(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
    engine.dispose()
    refused = run(sqlite_url)
    assert refused.exit_code == 5 and refused.stdout == ""
    assert refused.stderr.startswith("error: no history store in this database")
    allowed = run(sqlite_url, "--allow-empty")
    assert allowed.exit_code == 0, allowed.output


def test_a_bad_baseline_is_one_line(sqlite_url: str, tmp_path: Path) -> None:
    create_engine(sqlite_url).connect().close()
    bad = tmp_path / "b.json"
    bad.write_text('{"tables": []}', encoding="utf-8")
    result = run(sqlite_url, "--baseline", str(bad))
    assert result.exit_code == 2 and result.stderr.startswith("error: baseline") and "Traceback" not in result.output
    missing = run(sqlite_url, "--baseline", str(tmp_path / "nope.json"))
    assert missing.exit_code == 2 and "not found" in missing.stderr
