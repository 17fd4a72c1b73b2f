"""Restore and undelete on histories written by the real django-simple-history, read back by the library.

tests/support/simple_history_story.py builds the history in a subprocess; chrono then restores poll 1 to its
second record (through a plan and ``chrono apply``) and re-creates the deleted poll 2;
tests/support/simple_history_after.py reads ``instance.history.all()`` and ``diff_against`` with the library
and makes the next ordinary ``save()``. SQLite, PostgreSQL and MariaDB (Django through PyMySQL). Archiving
(``Choice.is_archived``) is in test_archive_simple_history.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import simple_history  # noqa: F401  (a test-extra library: an import error fails the run)
from typer.testing import CliRunner

from tests.conftest import StoryClone
from tests.integration.restore_support import chrono, rows, run_support, support_clone


def test_restore_and_undelete_read_back_by_simple_history(runner: CliRunner, backend: str, story_clone: StoryClone,
                                                          tmp_path: Path) -> None:
    url, _ = support_clone(story_clone, backend, "simple_history_story")
    before_max = max(r["history_id"] for r in rows(url, "djangoapp_historicalpoll"))
    listed = chrono(runner, url, "-f", "json", "deleted", "djangoapp_poll")
    assert listed.exit_code == 0, listed.output

    plan = tmp_path / "plan.json"
    made = chrono(runner, url, "restore", "djangoapp_poll", "1", "--version", "#2", "--actor", "1",
                  "--reason", "undo the vote import", "--plan", str(plan))
    assert made.exit_code == 0, made.output
    applied = chrono(runner, url, "-f", "json", "apply", str(plan), "--yes")
    assert applied.exit_code == 0, applied.output
    (item,) = json.loads(applied.stdout)["items"]
    assert [s["label"] for s in item["statements"]] == [
        "base row", "historical row: the new state, history_type '~'",
        "m2m history djangoapp_historicalpoll_tags: the current members under the new history row"]
    assert any("membership of tags is not restored" in n for n in item["notes"])
    assert rows(url, "djangoapp_poll", id=1)[0]["votes"] == 0

    undelete = chrono(runner, url, "-f", "json", "restore", "djangoapp_poll", "2", "--actor", "nobody", "--yes")
    assert undelete.exit_code == 0, undelete.output
    (doc,) = json.loads(undelete.stdout)["items"]
    assert doc["action"] == "undelete"
    assert any("'nobody' is not a user id" in n for n in doc["notes"])

    record = run_support("simple_history_after", url, tmp_path, "--save", "1")
    one = record["after"]["1"]
    restore, save = one[-2], one[-1]
    assert restore["history_id"] > before_max
    assert (restore["type"], restore["reason"], restore["user"]) == ("~", "undo the vote import", "alice")
    assert (restore["question"], restore["votes"], restore["tags"]) == ("Tea, or coffee?", 0, [2])
    assert restore["diff"] == {"votes": ["3", "0"]}  # against the library's last record (the bypass is not one)
    assert (save["type"], save["votes"], save["diff"]) == ("~", 1, {"votes": ["0", "1"]})
    assert record["saved"]["history_id"] == save["history_id"] > restore["history_id"]
    two = record["after"]["2"]
    assert [r["type"] for r in two] == ["+", "-", "+"]
    assert (two[-1]["question"], two[-1]["user"], two[-1]["tags"]) == ("Cats or dogs?", None, [])
    assert two[-1]["reason"].startswith("chrono undelete")

    shown = json.loads(chrono(runner, url, "-f", "json", "history", "djangoapp_poll", "1").stdout)["versions"]
    assert (shown[-2]["reason"], shown[-2]["actor"]) == ("undo the vote import", "alice")
    assert shown[-1]["current"] is True and shown[-1]["operation"] == "update"
