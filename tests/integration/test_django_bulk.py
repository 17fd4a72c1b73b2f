"""Bulk restores (``restore TABLE --at T --all-changed-since T``) of the Django libraries' tables, read back through
the libraries: one revision for the whole restore (django-reversion), one entry per row (django-auditlog), one
context for every event the triggers write (django-pghistory).

The stories are the conformance suite's (tests/support/*_story.py, written by the real libraries). Before the
reversion and auditlog restores the library makes one more ordinary save of item 1, so that two rows changed
since the chosen time: item 1 (that save) and item 2 (deleted and created again since).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tests.conftest import StoryClone
from tests.integration.restore_support import chrono, rows, run_support
from tests.integration.test_django_libraries import _story


def _bulk(runner: CliRunner, url: str, table: str, at: str, *args: str) -> dict[str, Any]:
    result = chrono(runner, url, "-f", "json", "restore", table, "--at", at, "--all-changed-since", at, "--yes", *args)
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def _save_then_bulk(
    runner: CliRunner, url: str, module: str, tmp_path: Path, table: str, actor: str
) -> tuple[dict[str, Any], int, dict[str, Any]]:
    """One more ordinary save of item 1 by the library, then every shop_item changed since "Chair" was created
    restored to that time (item 1 was then in its "seen abroad" state): the library's timelines before the
    restore, how many rows ``table`` had then, and the restore's JSON."""
    before = run_support(module, url, tmp_path, "--save", "shop_item", "1")["after"]["shop_item"]
    count = len(rows(url, table))
    doc = _bulk(runner, url, "shop_item", before["2"][0]["at"], "--actor", actor, "--reason", "bulk undo")
    assert (doc["restored"], doc["recreated"]) == (2, 0), doc
    return before, count, doc


def test_reversion_bulk_restore_writes_one_revision(
    runner: CliRunner, backend: str, story_clone: StoryClone, tmp_path: Path
) -> None:
    url = _story(story_clone, backend, "reversion_story")
    before, revisions, _ = _save_then_bulk(runner, url, "reversion_story", tmp_path, "reversion_revision", "1")
    assert len(rows(url, "reversion_revision")) == revisions + 1  # one block: one revision for both rows
    after = run_support("reversion_story", url, tmp_path)["timelines"]["shop_item"]
    one, two = after["1"][-1], after["2"][-1]
    assert one["version"] == two["version"]  # the same revision
    assert (one["actor"], one["reason"]) == ("alice", "bulk undo")
    # the save's " (saved)" undone (the saved version reads "seen" as loaded from the database: UTC)
    assert one["values"] == {**before["1"][-1]["values"], "name": "Lamp \U0001d11e"}
    assert before["1"][-2]["values"]["name"] == "Lamp \U0001d11e"
    assert two["values"] == before["2"][0]["values"]  # "Chair" again
    assert after["1"][:-1] == before["1"] and after["2"][:-1] == before["2"]  # history left complete


def test_auditlog_bulk_restore_logs_each_row(
    runner: CliRunner, backend: str, story_clone: StoryClone, tmp_path: Path
) -> None:
    url = _story(story_clone, backend, "auditlog_story")
    before, entries, doc = _save_then_bulk(runner, url, "auditlog_story", tmp_path, "auditlog_logentry", "2")
    assert "secret" not in doc["columns"] and "internal" not in doc["columns"]  # masked, excluded
    logged = rows(url, "auditlog_logentry")[entries:]
    assert [(e["object_pk"], e["action"], e["actor_id"]) for e in logged] == [("1", 1, 2), ("2", 1, 2)]
    extra = [
        e["additional_data"] if isinstance(e["additional_data"], dict) else json.loads(e["additional_data"])
        for e in logged
    ]
    assert extra == [{"reason": "bulk undo"}] * 2
    first = logged[0]["changes"] if isinstance(logged[0]["changes"], dict) else json.loads(logged[0]["changes"])
    assert first == {"name": ["Lamp \U0001d11e (saved)", "Lamp \U0001d11e"]}
    after = run_support("auditlog_story", url, tmp_path)["timelines"]["shop_item"]
    assert after["1"][-1]["values"] == before["1"][-2]["values"]
    assert after["2"][-1]["values"] == before["2"][0]["values"] and after["2"][-1]["op"] == "update"
    assert (after["1"][-1]["actor"], after["2"][-1]["actor"]) == ("bob", "bob")


def test_pghistory_bulk_restore_in_one_context(runner: CliRunner, story_clone: StoryClone, tmp_path: Path) -> None:
    url = _story(story_clone, "postgresql", "pghistory_story")
    before = run_support("pghistory_story", url, tmp_path)["timelines"]["pgshop_item"]
    at = before["1"][0]["at"]  # both items created in one transaction
    doc = _bulk(runner, url, "pgshop_item", at, "--actor", "1", "--reason", "bulk undo")
    assert (doc["restored"], doc["recreated"]) == (2, 0), doc
    labels = [s["label"] for s in doc["statements"]]
    assert labels[0] == "pghistory context for the triggers (as pghistory.context() sets it)"
    after = run_support("pghistory_story", url, tmp_path)["timelines"]["pgshop_item"]
    one, two = after["1"][-1], after["2"][-1]
    assert (one["op"], one["actor"], one["reason"]) == ("update", "alice", "bulk undo")
    assert (two["op"], two["actor"], two["reason"]) == ("update", "alice", "bulk undo")
    assert one["values"] == before["1"][0]["values"] and two["values"] == before["2"][0]["values"]
    contexts = [r for r in rows(url, "pghistory_context") if r["metadata"].get("reason") == "bulk undo"]
    assert len(contexts) == 1  # one context row for both events
    events = rows(url, "pgshop_itemevent")
    assert {e["pgh_context_id"] for e in events[-2:]} == {contexts[0]["id"]}
