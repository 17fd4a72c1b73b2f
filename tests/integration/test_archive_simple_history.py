"""``chrono archive`` / ``unarchive`` on a model versioned by the real django-simple-history, read back by it.

tests/support/djangoapp gives ``Choice`` (table ``custom_choice_table``) an archive column ``is_archived``
(BooleanField). chrono shows the plan, then archives choice 1 as an ordinary versioned update (base row +
historical row ``'~'``); tests/support/simple_history_after.py reads ``history.all()`` / ``diff_against`` with
the library and makes the next ordinary ``save()``; then the same for unarchive. SQLite, PostgreSQL, MariaDB.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import simple_history  # noqa: F401  (a test-extra library: an import error fails the run)
from typer.testing import CliRunner

from tests.conftest import StoryClone
from tests.integration.restore_support import checksum, chrono, rows, run_support, support_clone

TABLE = "custom_choice_table"


def _choice_history(url: str, tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The library's last two records of choice 1 after its next save (the write, the save) and the record."""
    record = run_support("simple_history_after", url, tmp_path, "--model", "choice", "--save", "1")
    written, saved = record["after"]["1"][-2:]
    assert record["saved"]["history_id"] == saved["history_id"] > written["history_id"]
    return written, saved, record


def test_archive_and_unarchive_read_back_by_simple_history(runner: CliRunner, backend: str, story_clone: StoryClone,
                                                           tmp_path: Path) -> None:
    url, _ = support_clone(story_clone, backend, "simple_history_story")
    tables = {t["table"].rsplit(".", 1)[-1]: t for t in
              json.loads(chrono(runner, url, "-f", "json", "tables").stdout)["tables"]}
    assert tables[TABLE]["archive_column"] == "is_archived"
    assert set(tables[TABLE]["conventions"]) == {"simple-history", "soft-delete"}
    before_max = max(r["history_id"] for r in rows(url, "djangoapp_historicalchoice"))

    before = checksum(url)
    shown = chrono(runner, url, "archive", TABLE, "1", "--reason", "withdrawn", "--actor", "2")
    assert shown.exit_code == 6 and "pass --yes" in shown.stderr  # off a terminal: the plan, nothing written
    plan = shown.output.replace("public.", "")
    assert f"archive {TABLE} 1 [simple-history: " in plan and "djangoapp_historicalchoice" in plan
    assert checksum(url) == before

    done = chrono(runner, url, "-f", "json", "archive", TABLE, "1", "--reason", "withdrawn", "--actor", "2",
                  "--yes")
    assert done.exit_code == 0, done.output
    (item,) = json.loads(done.stdout)["items"]
    assert item["action"] == "archive" and [d["column"] for d in item["diff"]] == ["is_archived"]
    assert [s["label"] for s in item["statements"]] == ["base row", "historical row: the new state, history_type '~'"]
    assert bool(rows(url, TABLE, id=1)[0]["is_archived"]) is True

    archived, saved, record = _choice_history(url, tmp_path)
    assert archived["history_id"] > before_max
    assert (archived["type"], archived["reason"], archived["user"]) == ("~", "withdrawn", "bob")
    assert (archived["choice_text"], archived["votes"], archived["is_archived"]) == ("Tea", 1, True)
    assert archived["diff"] == {"is_archived": ["False", "True"]}
    assert (saved["type"], saved["votes"], saved["is_archived"]) == ("~", 2, True)
    assert saved["diff"] == {"votes": ["1", "2"]}
    history = json.loads(chrono(runner, url, "-f", "json", "history", TABLE, "1").stdout)["versions"]
    assert (history[-2]["reason"], history[-2]["actor"]) == ("withdrawn", "bob")
    assert [c["column"] for c in history[-2]["changes"]] == ["is_archived"]
    assert history[-1]["current"] is True and history[-1]["values"]["votes"] == 2

    undone = chrono(runner, url, "-f", "json", "unarchive", TABLE, "1", "--yes")
    assert undone.exit_code == 0, undone.output
    assert bool(rows(url, TABLE, id=1)[0]["is_archived"]) is False
    again = chrono(runner, url, "unarchive", TABLE, "1", "--yes")
    assert again.exit_code != 0 and "already not archived" in again.stderr

    unarchived, saved, _ = _choice_history(url, tmp_path)
    assert (unarchived["type"], unarchived["reason"], unarchived["is_archived"]) == ("~", "chrono unarchive", False)
    assert unarchived["diff"] == {"is_archived": ["True", "False"]}
    assert saved["diff"] == {"votes": ["2", "3"]} and saved["is_archived"] is False
