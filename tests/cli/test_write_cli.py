"""The write commands' contract: plan first, --yes off a terminal, --dry-run, --plan/apply, JSON, hooks, exit codes."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, create_engine, insert

from tests.conftest import StoryClone
from tests.integration.restore_support import (
    ROOT,
    checksum,
    chrono,
    history_meta_clone,
    python_hook,
    rows,
    write_config,
)

COMMANDS = ("restore", "archive", "unarchive", "apply", "archived", "deleted")


@pytest.fixture
def story_db(story_clone: StoryClone) -> str:
    url, _ = history_meta_clone(story_clone, "sqlite")
    return url


@pytest.fixture
def notes_db(sqlite_url: str) -> str:
    """A table with only an archive column (no history): plain DDL/DML."""
    engine = create_engine(sqlite_url)
    md = MetaData()
    notes = Table("notes", md, Column("id", Integer, primary_key=True), Column("body", String(40)),
                  Column("deleted_at", DateTime, nullable=True), Column("pinned", Boolean, nullable=False))
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(notes), [{"id": i, "body": f"note {i}", "pinned": False} for i in (1, 2, 3)])
    engine.dispose()
    return sqlite_url


@pytest.mark.parametrize("command", COMMANDS)
def test_help_has_examples(runner, command: str) -> None:
    from tests.conftest import invoke

    result = invoke(runner, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.stdout


def test_refuses_without_yes_off_a_terminal(runner, story_db: str) -> None:
    before = checksum(story_db)
    result = chrono(runner, story_db, "restore", "appuser", "1", "--version", "2")
    assert result.exit_code == 6
    assert result.stdout == ""
    assert "~ restore appuser 1 to p2" in result.stderr and "SQL: 2 statements" in result.stderr  # the plan
    assert result.stderr.strip().splitlines()[-1] == "error: not on a terminal: pass --yes to write (nothing written)"
    assert checksum(story_db) == before


def test_dry_run_prints_the_plan_on_stdout(runner, story_db: str) -> None:
    before = checksum(story_db)
    result = chrono(runner, story_db, "restore", "appuser", "1", "--version", "2", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "restore appuser 1 to p2 (version 2) [history-meta: appuser_history]" in result.stdout
    assert "alice@corp.example" in result.stdout and "(--sql prints them)" in result.stdout
    assert "Plan: 0 to add, 1 to change, 0 to delete." in result.stdout
    assert "dry run: nothing written" in result.stderr
    assert checksum(story_db) == before


def test_json_plan_document(runner, story_db: str) -> None:
    result = chrono(runner, story_db, "-f", "json", "restore", "appuser", "1", "--at", "2026-01-05T09:03:00Z",
                    "--only", "name", "--reason", "typo", "--actor", "ops", "--dry-run")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["format"], doc["format_version"], doc["dialect"], doc["table"]) == ("chrono-plan", 1, "sqlite",
                                                                                     "appuser")
    assert (doc["actor"], doc["reason"]) == ("ops", "typo")
    (item,) = doc["items"]
    assert (item["action"], item["key"], item["convention"], item["history"]) == ("restore", {"id": 1},
                                                                                   "history-meta", "appuser_history")
    assert item["target"]["version"] == 2 and item["only"] == ["name"]
    assert item["expected"]["row"].startswith("sha256:") and item["expected"]["history_rows"] == 4
    assert item["diff"] == [{"column": "name", "old": "Alice S.", "new": "Alice Smith"}]
    assert [s["sql"].split()[0] for s in item["statements"]] == ["INSERT", "UPDATE"]
    assert item["statements"][1]["params"]["name"] == "Alice Smith"
    assert any("no place for an actor" in n for n in item["notes"])


def test_plan_then_apply(runner, story_db: str, tmp_path: Path) -> None:
    plan = tmp_path / "fix.json"
    before = checksum(story_db)
    made = chrono(runner, story_db, "restore", "appuser", "1", "--version", "2", "--plan", str(plan))
    assert made.exit_code == 0, made.output
    assert f"plan written to {plan}" in made.stderr and checksum(story_db) == before
    assert json.loads(plan.read_text())["items"][0]["action"] == "restore"
    assert chrono(runner, story_db, "apply", str(plan)).exit_code == 6  # off a terminal: --yes needed
    assert chrono(runner, story_db, "apply", str(plan), "--dry-run").exit_code == 0
    assert checksum(story_db) == before
    applied = chrono(runner, story_db, "-f", "json", "apply", str(plan), "--yes")
    assert applied.exit_code == 0, applied.output
    doc = json.loads(applied.stdout)
    assert doc["created_at"] > json.loads(plan.read_text())["created_at"]  # stamped when written
    assert rows(story_db, "appuser", id=1)[0]["name"] == "Alice Smith"
    again = chrono(runner, story_db, "apply", str(plan), "--yes")
    assert again.exit_code == 6 and "changed since the plan was made" in again.stderr


def test_bad_plan_files(runner, story_db: str, tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"hello": 1}')
    (tmp_path / "y.json").write_text("not json")
    for path, says in ((tmp_path / "x.json", "not a chrono plan"), (tmp_path / "y.json", "is not JSON"),
                       (tmp_path / "missing.json", "cannot read plan")):
        result = chrono(runner, story_db, "apply", str(path), "--yes")
        assert result.exit_code == 2 and says in result.stderr


def test_written_summary_and_json(runner, story_db: str) -> None:
    result = chrono(runner, story_db, "restore", "appuser", "1", "--version", "2", "--yes")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "written"
    assert "restore   appuser  1" in result.stdout


def test_hooks(runner, story_db: str, tmp_path: Path) -> None:
    seen = tmp_path / "seen.json"
    keep = python_hook(tmp_path / "keep.py", f"import sys\nopen({str(seen)!r}, 'w').write(sys.stdin.read())\n")
    deny = python_hook(tmp_path / "deny.py", "import sys\nprint('policy says no: ticket required', "
                                             "file=sys.stderr)\nsys.exit(3)\n")
    before = checksum(story_db)
    result = chrono(runner, story_db, "restore", "appuser", "1", "--version", "2", "--yes",
                    config=write_config(tmp_path / "deny.toml", before_commit=deny))
    assert result.exit_code == 6
    error = result.stderr.strip().splitlines()[-1]
    assert "before_commit hook" in error and "exited with 3: policy says no: ticket required" in error
    assert checksum(story_db) == before
    result = chrono(runner, story_db, "restore", "appuser", "1", "--version", "2", "--yes",
                    config=write_config(tmp_path / "ok.toml", before_commit=keep, after_commit=deny))
    assert result.exit_code == 0, result.output
    assert "warning: after_commit hook" in result.stderr and "(the change is committed)" in result.stderr
    assert rows(story_db, "appuser", id=1)[0]["name"] == "Alice Smith"
    doc = json.loads(seen.read_text())
    assert doc["format"] == "chrono-plan" and doc["items"][0]["statements"][1]["params"]["name"] == "Alice Smith"
    missing = chrono(runner, story_db, "restore", "appuser", "1", "--version", "3", "--yes",
                     config=write_config(tmp_path / "bad.toml", before_commit="/no/such/hook --x"))
    assert missing.exit_code == 6 and "cannot run the before_commit hook" in missing.stderr


def test_archive_without_history(runner, notes_db: str) -> None:
    result = chrono(runner, notes_db, "archive", "notes", "1", "2", "--yes")
    assert result.exit_code == 0, result.output
    assert "has no history store: this change is recorded nowhere" in result.stderr
    archived = rows(notes_db, "notes")
    assert [r["deleted_at"] is not None for r in archived] == [True, True, False]
    listed = chrono(runner, notes_db, "-f", "json", "archived", "notes")
    assert [r["key"] for r in json.loads(listed.stdout)["rows"]] == [{"id": 1}, {"id": 2}]
    before = checksum(notes_db)
    result = chrono(runner, notes_db, "archive", "notes", "2", "--yes")  # one row, archived already: refused
    assert result.exit_code == 6 and "notes 2 is already archived" in result.stderr
    assert checksum(notes_db) == before
    assert chrono(runner, notes_db, "restore", "notes", "1", "--version", "1", "--yes").exit_code == 5
    assert chrono(runner, notes_db, "restore", "notes", "1", "--yes").exit_code == 0  # archived: unarchive
    assert chrono(runner, notes_db, "unarchive", "notes", "2", "--yes").exit_code == 0
    assert [r["deleted_at"] is not None for r in rows(notes_db, "notes")] == [False, False, False]
    assert chrono(runner, notes_db, "unarchive", "notes", "9", "--yes").exit_code == 4
    assert chrono(runner, notes_db, "deleted", "notes").exit_code == 5


def test_lists_of_a_story(runner, story_db: str) -> None:
    result = chrono(runner, story_db, "deleted", "appuser")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "deleted rows of appuser [history-meta: appuser_history]"
    assert lines[2].split()[0] == "2" and "bob@example.com" in lines[2]
    assert chrono(runner, story_db, "archived", "appuser").exit_code == 5
    assert chrono(runner, story_db, "deleted", "appuser", "--limit", "0").exit_code == 2


def _on_a_terminal(url: str, answer: str) -> subprocess.CompletedProcess[str]:
    """chrono with a pseudo-terminal as stdin, answering the confirmation prompt."""
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "chrono_cli", "--db", url, "restore", "appuser", "1",
                             "--version", "2"], stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    os.close(slave)
    os.write(master, answer.encode())
    out, err = proc.communicate(timeout=60)
    os.close(master)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def test_confirmation_on_a_terminal(story_db: str) -> None:
    before = checksum(story_db)
    no = _on_a_terminal(story_db, "n\n")
    assert no.returncode == 6 and "not confirmed: nothing written" in no.stderr
    assert "Write these changes?" in no.stderr
    assert checksum(story_db) == before
    yes = _on_a_terminal(story_db, "y\n")
    assert yes.returncode == 0, yes.stderr
    assert rows(story_db, "appuser", id=1)[0]["name"] == "Alice Smith"


@pytest.fixture
def demo_db(tmp_path: Path) -> str:
    """A copy of the demo: users is versioned (history-meta) and archivable; user 13 is archived."""
    import shutil

    copy = tmp_path / "demo.sqlite"
    shutil.copy(ROOT / "examples" / "demo.sqlite", copy)
    return f"sqlite:///{copy}"


def test_archiving_rows_of_which_some_are_archived_skips_those(runner, demo_db: str, tmp_path: Path) -> None:
    dry = chrono(runner, demo_db, "archive", "users", "42", "13", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "~ archive users 42 [history-meta: users_history]" in dry.stdout
    assert "skipped: users 13 (already archived)\n" in dry.stdout  # the plan shows the skip
    planned = chrono(runner, demo_db, "-f", "json", "archive", "users", "42", "13", "--plan", str(tmp_path / "p.json"))
    doc = json.loads(planned.stdout)
    assert [i["key"] for i in doc["items"]] == [{"id": 42}]
    assert doc["skipped"] == [{"table": "users", "key": {"id": 13}, "why": "already archived"}]
    history_before = len(rows(demo_db, "users_history", id=42))
    done = chrono(runner, demo_db, "-f", "json", "apply", str(tmp_path / "p.json"), "--yes")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["skipped"] == doc["skipped"]  # the JSON outcome reports it too
    assert "skipped: users 13 (already archived)" in done.stderr
    assert rows(demo_db, "users", id=42)[0]["is_archived"] and rows(demo_db, "users", id=13)[0]["is_archived"]
    assert len(rows(demo_db, "users_history", id=42)) == history_before + 1  # an ordinary versioned update
    assert len(rows(demo_db, "users_history", id=13)) == len(rows(demo_db, "users_history", id=13))


def test_archive_skips_only_rows_already_so(runner, demo_db: str) -> None:
    before = checksum(demo_db)
    every = chrono(runner, demo_db, "archive", "users", "13", "13", "--yes")  # nothing left to write: refused
    assert every.exit_code == 6 and "users 13 is already archived: nothing to write" in every.stderr
    both = chrono(runner, demo_db, "unarchive", "users", "42", "8", "--yes")
    assert both.exit_code == 6 and "users 42, 8 are already not archived: nothing to write" in both.stderr
    missing = chrono(runner, demo_db, "archive", "users", "42", "13", "999999", "--yes")  # other refusals stay
    assert missing.exit_code == 4 and "no row users 999999" in missing.stderr
    assert checksum(demo_db) == before
    table = chrono(runner, demo_db, "archive", "users", "42", "13", "--yes")
    assert table.exit_code == 0, table.output
    assert [line.split()[:3] for line in table.stdout.splitlines()[2:]] == [["archive", "users", "42"],
                                                                            ["skip", "users", "13"]]
    assert "skipped: users 13 (already archived)" in table.stderr
