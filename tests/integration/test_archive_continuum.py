"""``chrono archive`` / ``unarchive`` on a table versioned by the real SQLAlchemy-Continuum, read back by Continuum.

tests/support/continuum_story.py gives ``tag`` an archive column ``archived_at`` (nullable naive timestamp,
versioned like any column). chrono shows the plan, then archives tag 5 as one ordinary versioned update (new
transaction, version row, closed validity chain); tests/support/continuum_after.py reads ``tag.versions`` and
``changeset`` with Continuum and makes the next ordinary ORM save; then the same for unarchive.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy_continuum  # noqa: F401  (a test-extra library: an import error fails the run)
from typer.testing import CliRunner

from tests.conftest import StoryClone
from tests.integration.restore_support import checksum, chrono, rows, run_support, support_clone


def _labels(item: dict[str, Any]) -> list[str]:
    return [s["label"] for s in item["statements"]]


def _tag_versions(url: str, tmp_path: Path) -> dict[str, Any]:
    record = run_support("continuum_after", url, tmp_path, "--model", "tag", "--save", "5")
    five = record["after"]["5"]
    assert [v["end"] for v in five] == [v["tx"] for v in five[1:]] + [None]  # the validity chain
    assert record["open"]["5"] == 1
    return record


def test_archive_and_unarchive_read_back_by_continuum(runner: CliRunner, backend: str, story_clone: StoryClone,
                                                      tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url, _ = support_clone(story_clone, backend, "continuum_story")
    tables = {t["table"].rsplit(".", 1)[-1]: t for t in
              json.loads(chrono(runner, url, "-f", "json", "tables").stdout)["tables"]}
    assert tables["tag"]["archive_column"] == "archived_at"
    assert set(tables["tag"]["conventions"]) == {"continuum", "soft-delete"}

    before = checksum(url)
    shown = chrono(runner, url, "archive", "tag", "5", "--reason", "retired", "--actor", "2")
    assert shown.exit_code == 6 and "pass --yes" in shown.stderr  # off a terminal: the plan, nothing written
    plan = shown.output.replace("public.", "")
    assert "archive tag 5 [continuum: tag_version]" in plan and "SQL: " in plan
    sql = chrono(runner, url, "archive", "tag", "5", "--reason", "retired", "--actor", "2", "--sql")
    assert sql.exit_code == 0 and "UPDATE tag SET archived_at" in sql.stdout.replace("public.", "")
    assert checksum(url) == before

    started = datetime.now(UTC).replace(tzinfo=None)
    done = chrono(runner, url, "-f", "json", "archive", "tag", "5", "--reason", "retired", "--actor", "2", "--yes")
    assert done.exit_code == 0, done.output
    (item,) = json.loads(done.stdout)["items"]
    assert item["action"] == "archive" and [d["column"] for d in item["diff"]] == ["archived_at"]
    labels = _labels(item)
    assert labels[0].startswith("transaction row") and labels[1] == "base row"
    assert any(x.startswith("close the open version row") for x in labels)
    assert "version row: the new state, operation_type 1" in labels and "transaction_changes: Tag" in labels
    stamp = rows(url, "tag", id=5)[0]["archived_at"]
    assert stamp.tzinfo is None  # the column's convention: naive UTC, like issued_at
    assert started - timedelta(seconds=1) <= stamp <= datetime.now(UTC).replace(tzinfo=None)
    assert rows(url, "tag", id=3)[0]["archived_at"] is None

    record = _tag_versions(url, tmp_path)
    archived, saved = record["after"]["5"][-2:]
    assert (archived["op"], archived["name"], archived["archived_at"]) == (1, "tech", str(stamp))
    assert archived["changeset"] == {"archived_at": [None, str(stamp)]}
    assert (saved["op"], saved["archived_at"]) == (1, str(stamp))
    assert saved["changeset"] == {"name": ["tech", "tech (saved)"]}
    history = json.loads(chrono(runner, url, "-f", "json", "history", "tag", "5").stdout)["versions"]
    assert (history[-2]["reason"], history[-2]["actor"]) == ("retired", "bob")
    assert [c["column"] for c in history[-2]["changes"]] == ["archived_at"]
    assert history[-1]["current"] is True and history[-1]["values"]["name"] == "tech (saved)"

    undone = chrono(runner, url, "-f", "json", "unarchive", "tag", "5", "--yes")
    assert undone.exit_code == 0, undone.output
    assert rows(url, "tag", id=5)[0]["archived_at"] is None
    again = chrono(runner, url, "unarchive", "tag", "5", "--yes")
    assert again.exit_code != 0 and "already not archived" in again.stderr

    record = _tag_versions(url, tmp_path)
    unarchived, saved = record["after"]["5"][-2:]
    assert unarchived["changeset"] == {"archived_at": [str(stamp), None]} and unarchived["op"] == 1
    assert saved["changeset"] == {"name": ["tech (saved)", "tech (saved) (saved)"]}
    history = json.loads(chrono(runner, url, "-f", "json", "history", "tag", "5").stdout)["versions"]
    assert history[-2]["reason"] == "chrono unarchive" and history[-2]["values"]["archived_at"] is None
