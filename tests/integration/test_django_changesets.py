"""Change sets and context metadata of the Django libraries: an auditlog ``cid`` and a pghistory context are
change sets whose printed ids ``changes show`` takes back; pghistory's context metadata (also denormalized into
each event with ``ContextJSONField``) gives actor, reason and the other keys.

The stories are the conformance suite's (tests/support/auditlog_story.py: maker and item created under the cid
``req-1``; tests/support/pghistory_story.py: two items created in one context, a context with a ``url`` key), and
pghistory_json_story.py, the same story with ``PGHISTORY_CONTEXT_FIELD = ContextJSONField()``.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tests.conftest import StoryClone
from tests.integration.restore_support import chrono, rows, run_support
from tests.integration.test_django_libraries import _history, _story


def _changesets(runner: CliRunner, url: str) -> list[dict[str, Any]]:
    result = chrono(runner, url, "-f", "json", "changes")
    assert result.exit_code == 0, result.output
    sets: list[dict[str, Any]] = json.loads(result.stdout)["changesets"]
    return sets


def _shown(runner: CliRunner, url: str, ident: str) -> list[tuple[str, int, str]]:
    result = chrono(runner, url, "-f", "json", "changes", "show", ident)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["id"], doc["exact"]) == (ident, True)
    return sorted((c["table"].split(".")[-1], c["key"]["id"], c["operation"]) for c in doc["changes"])


def test_auditlog_cid_is_a_change_set(runner: CliRunner, backend: str, story_clone: StoryClone) -> None:
    url = _story(story_clone, backend, "auditlog_story")
    ident = str(uuid.uuid5(uuid.NAMESPACE_URL, "auditlog-cid:req-1"))  # the cid is text: a name-based UUID
    (listed,) = [s for s in _changesets(runner, url) if s["exact"]]  # the only entries with a cid
    assert listed["id"] == ident and listed["actor"] == "alice"
    assert {c["note"] for c in listed["changes"]} == {"cid req-1"}
    assert _shown(runner, url, ident) == [("shop_item", 1, "insert"), ("shop_maker", 1, "insert")]
    missing = chrono(runner, url, "changes", "show", str(uuid.uuid5(uuid.NAMESPACE_URL, "auditlog-cid:req-2")))
    assert missing.exit_code == 4 and "no change set" in missing.stderr


def test_pghistory_context_is_a_change_set(runner: CliRunner, story_clone: StoryClone) -> None:
    url = _story(story_clone, "postgresql", "pghistory_story")
    (first,) = [r for r in rows(url, "pghistory_context") if r["metadata"].get("reason") == "first stock"]
    ident = str(first["id"])
    assert ident in [s["id"] for s in _changesets(runner, url)]
    assert _shown(runner, url, ident) == [("pgshop_item", 1, "insert"), ("pgshop_item", 2, "insert")]
    reprice = [v for v in _history(runner, url, "pgshop_item", "1") if v["reason"] == "reprice"]
    assert [(v["actor"], v["note"]) for v in reprice] == [("bob", 'context url="/items/1"')]


def test_pghistory_context_json_field(runner: CliRunner, story_clone: StoryClone, tmp_path: Path) -> None:
    url = _story(story_clone, "postgresql", "pghistory_json_story")
    assert rows(url, "pghistory_context") == []  # the metadata lives in each event's pgh_context
    library = run_support("pghistory_json_story", url, tmp_path)["timelines"]["pgshop_item"]
    shown = _history(runner, url, "pgshop_item", "1")
    assert [(v["version"], v["actor"], v["reason"]) for v in shown] == [
        (e["version"], e["actor"], e["reason"]) for e in library["1"]
    ]
    restored = chrono(
        runner,
        url,
        "restore",
        "pgshop_item",
        "1",
        "--version",
        "1",
        "--actor",
        "2",
        "--reason",
        "json context",
        "--yes",
    )
    assert restored.exit_code == 0, restored.output
    after = run_support("pghistory_json_story", url, tmp_path)["timelines"]["pgshop_item"]["1"]
    assert (after[-1]["actor"], after[-1]["reason"]) == ("bob", "json context")
    assert after[-1]["values"] == library["1"][0]["values"]
    context = rows(url, "pgshop_itemevent")[-1]["pgh_context_id"]
    assert _shown(runner, url, str(context)) == [("pgshop_item", 1, "update")]
