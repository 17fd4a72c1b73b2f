"""Set-based restores (``chrono restore TABLE --at T --all-changed-since S | --keys FILE``) on real histories."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from chrono_cli.services.bulk_restore import plan_bulk_restore
from chrono_cli.services.workspace import Settings, Workspace
from tests.conftest import StoryClone
from tests.integration.restore_support import (
    checksum,
    chrono,
    history_meta_clone,
    python_hook,
    rows,
    run_support,
    support_clone,
    write_config,
)
from tests.integration.test_restore_history_meta import history_of, sessions, state
from tests.support.stories import expected_state_at, history_meta_models


def _shown_at(runner: CliRunner, url: str, table: str, key: int, at: str) -> dict[str, Any] | None:
    shown = chrono(runner, url, "-f", "json", "show", table, str(key), "--at", at)
    assert shown.exit_code == 0, shown.output
    values: dict[str, Any] | None = json.loads(shown.stdout)["version"]["values"]
    return values


def test_history_meta_rows_back_to_a_time(runner: CliRunner, backend: str, story_clone: StoryClone) -> None:
    db_url, rec = history_meta_clone(story_clone, backend)
    at: datetime = rec["steps"][8]["probe_at"]  # after step 9: user 1 after step 6, user 2 before its deletion
    when = at.isoformat()
    cols = list(rec["timelines"]["appuser"][1][0]["state"])
    expected = {k: _shown_at(runner, db_url, "appuser", k, when) for k in (1, 3)}

    dry = chrono(runner, db_url, "-f", "json", "restore", "appuser", "--at", when, "--all-changed-since", when,
                 "--dry-run")
    assert dry.exit_code == 0, dry.output
    plan = json.loads(dry.stdout)
    assert {(tuple(r["key"].values())[0], r["action"]) for r in plan["rows"]} == {
        (1, "restore"), (2, "undelete"), (3, "restore")}
    assert len(plan["statements"]) == 3  # whatever the number of rows

    done = chrono(runner, db_url, "-f", "json", "restore", "appuser", "--at", when, "--all-changed-since", when,
                  "--yes")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["restored"] == 2 and json.loads(done.stdout)["recreated"] == 1

    m = history_meta_models()
    engine, factory = sessions(db_url)
    try:
        with factory() as s:
            for key in (1, 2):  # what the application had at that time
                assert state(s.get(m.AppUser, key), cols) == expected_state_at(rec, "appuser", key, at)["state"]
            before = [h.version for h in history_of(s, m.AppUser, 1)]
            s.get(m.AppUser, 1).name = "next"  # the library's next ordinary update
            s.commit()
            assert [h.version for h in history_of(s, m.AppUser, 1)] == [*before, before[-1] + 1]
    finally:
        engine.dispose()
    # history_meta cannot tell when user 3 was re-created: its state "at" the time is what `chrono show --at`
    # says (its first recorded state, as the note explains); user 1 likewise matches show --at
    for key in (1, 3):
        now = json.loads(chrono(runner, db_url, "-f", "json", "show", "appuser", str(key), "--version",
                                "#-2" if key == 1 else "#-1").stdout)["version"]["values"]
        assert {c: v for c, v in now.items() if c != "name" or key != 1} == \
            {c: v for c, v in (expected[key] or {}).items() if c != "name" or key != 1}


def test_continuum_rows_back_to_a_time_in_one_transaction(runner: CliRunner, sqlite_or_pg_backend: str,
                                                          story_clone: StoryClone, tmp_path: Path) -> None:
    url, record = support_clone(story_clone, sqlite_or_pg_backend, "continuum_story")
    step6 = record["steps"][5]
    when = step6["finished"]
    before_tx = max(r["id"] for r in rows(url, "transaction"))
    done = chrono(runner, url, "-f", "json", "restore", "article", "--at", when, "--all-changed-since", when,
                  "--reason", "incident 7", "--yes")
    assert done.exit_code == 0, done.output
    doc = json.loads(done.stdout)
    assert (doc["restored"], doc["recreated"]) == (1, 1)  # 2 restored, 1 re-created; 3 did not exist then
    assert "created after the time" in " ".join(doc["skipped"])
    x = max(r["id"] for r in rows(url, "transaction"))
    assert x == before_tx + 1
    assert rows(url, "transaction_meta", transaction_id=x)[0]["value"] == "incident 7"
    for key, values in ((1, step6["articles"]["1"]), (2, step6["articles"]["2"])):
        (row,) = rows(url, "article", id=key)
        assert (row["name"], row["content"]) == (values["name"], values["content"])
    versions = {r["id"]: r for r in rows(url, "article_version", transaction_id=x)}
    assert versions[1]["operation_type"] == 0 and versions[2]["operation_type"] == 1
    assert versions[2]["name_mod"] and versions[2]["content_mod"] and not versions[2]["score_mod"]
    after = run_support("continuum_after", url, tmp_path, "--save", "2")  # Continuum reads it all and saves again
    assert after["before"]["1"][-1]["tx"] == x and after["before"]["2"][-1]["tx"] == x
    assert after["after"]["2"][-1]["op"] == 1 and after["open"] == {"1": 1, "2": 1, "3": 1}


@pytest.mark.parametrize(("story", "table", "store"), [
    ("continuum_story", "article", "article_version"),
    ("simple_history_story", "djangoapp_poll", "djangoapp_historicalpoll"),
])
def test_the_database_plans_as_python_does(sqlite_or_pg_backend: str, story_clone: StoryClone, tmp_path: Path,
                                           story: str, table: str, store: str) -> None:
    """Planned by the database (changed since T) or in Python (every key the history names, from a keys file):
    the same rows to write, with the same values."""
    url, record = support_clone(story_clone, sqlite_or_pg_backend, story)
    when = record["steps"][2]["finished"]
    keys = tmp_path / "keys.txt"
    keys.write_text("".join(f"{k}\n" for k in sorted({r["id"] for r in rows(url, store)})), encoding="utf-8")
    ws = Workspace(Settings(url=url))
    try:
        planned = plan_bulk_restore(ws, table, at=when, since=when)
        by_python = plan_bulk_restore(ws, table, at=when, keys_file=str(keys))
    finally:
        ws.close()
    assert planned.seen is not None or sqlite_or_pg_backend == "sqlite"  # SQLite: times compared in Python
    assert by_python.seen is None and planned.rows == by_python.rows and planned.rows


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_simple_history_rows_from_a_keys_file(runner: CliRunner, story_clone: StoryClone, tmp_path: Path,
                                              source: str) -> None:
    url, story = support_clone(story_clone, "sqlite", "simple_history_story")
    when = story["steps"][2]["finished"]  # poll 1 reworded and saved; poll 2 not created yet
    keys = tmp_path / "keys.txt"
    keys.write_text("# polls to fix\n1\n2\n", encoding="utf-8")
    arg = str(keys) if source == "file" else "-"
    if source == "file":  # a name that is no user: the plan says the user column stays NULL, as a single restore does
        dry = chrono(runner, url, "-f", "json", "restore", "djangoapp_poll", "--at", when, "--keys", arg,
                     "--actor", "nobody", "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert "actor 'nobody' is not a user id: history_user_id left NULL" in json.loads(dry.stdout)["notes"]
    done = chrono(runner, url, "-f", "json", "restore", "djangoapp_poll", "--at", when, "--keys", arg,
                  "--actor", "1", "--yes", input=keys.read_text(encoding="utf-8") if source == "stdin" else None)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["restored"] == 1
    poll = rows(url, "djangoapp_poll", id=1)[0]
    then = story["steps"][2]["state"]
    assert (poll["question"], poll["votes"]) == (then["question"], then["votes"])
    newest = max(rows(url, "djangoapp_historicalpoll", id=1), key=lambda r: r["history_id"])
    assert (newest["history_type"], newest["history_user_id"]) == ("~", 1)
    assert newest["history_change_reason"].startswith("chrono restore: state at")
    tags = rows(url, "djangoapp_historicalpoll_tags", history_id=newest["history_id"])
    assert sorted(t["tag_id"] for t in tags) == sorted(story["steps"][-1]["tags"])  # membership snapshot


def test_bulk_restore_refusals(runner: CliRunner, story_clone: StoryClone, tmp_path: Path) -> None:
    sqlite_url, rec = history_meta_clone(story_clone, "sqlite")
    when = rec["steps"][8]["probe_at"].isoformat()
    untouched = checksum(sqlite_url)
    config = write_config(tmp_path / "chrono.toml",
                          before_commit=python_hook(tmp_path / "hook.py", "import sys; sys.exit(2)\n"))
    failed = chrono(runner, sqlite_url, "restore", "appuser", "--at", when, "--all-changed-since", when, "--yes",
                    config=config)
    assert failed.exit_code == 6 and "rolled back, nothing written" in failed.stderr
    assert checksum(sqlite_url) == untouched
    for args, code, text in (
            (["--all-changed-since", when], 2, "--at"),                      # no --at
            (["1", "--at", when, "--all-changed-since", when], 2, "no KEY"),  # a KEY too
            (["--at", when, "--keys", str(tmp_path / "none.txt")], 2, "cannot read keys file"),
            (["--at", when, "--all-changed-since", "2999-01-01"], 6, "nothing to restore"),
            (["--at", "yesterday-ish", "--all-changed-since", when], 2, "time")):
        result = chrono(runner, sqlite_url, "restore", "appuser", *args, "--yes")
        assert result.exit_code == code, (args, result.output)
        assert text in result.stderr and "Traceback" not in result.output
    assert checksum(sqlite_url) == untouched
