"""``chrono revert`` on histories written by the real SQLAlchemy-Continuum, read back by Continuum itself.

The story (tests/support/continuum_story.py) has exact change sets: transaction 3 retitled article 1 and
linked tag 3 (both changed again later), transaction 8 re-inserted article 2, transaction 10 deleted
article 1 together with its link to tag 5.
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy_continuum  # noqa: F401  (a test-extra library: an import error fails the run)
from typer.testing import CliRunner

from tests.conftest import StoryClone
from tests.integration.restore_support import (
    checksum,
    chrono,
    python_hook,
    rows,
    run_support,
    support_clone,
    write_config,
)


def _top_tx(url: str) -> int:
    return max(r["id"] for r in rows(url, "transaction"))


def test_revert_a_delete_then_revert_the_revert(runner: CliRunner, backend: str, story_clone: StoryClone,
                                                 tmp_path: Path) -> None:
    url, _ = support_clone(story_clone, backend, "continuum_story")
    before = _top_tx(url)

    done = chrono(runner, url, "-f", "json", "revert", "10", "--actor", "1", "--yes")
    assert done.exit_code == 0, done.output
    items = json.loads(done.stdout)["items"]
    # parents first: the article is re-inserted before its link row
    assert [(i["table"].split(".")[-1], i["action"]) for i in items] == [("article", "undelete"),
                                                                         ("article_tag", "undelete")]
    x = _top_tx(url)
    assert x == before + 1  # one transaction for the whole revert, as one commit of the application
    assert rows(url, "transaction", id=x)[0]["user_id"] == 1
    assert [r["entity_name"] for r in rows(url, "transaction_changes", transaction_id=x)] == ["Article"]
    assert rows(url, "transaction_meta", transaction_id=x)[0]["value"] == "chrono revert: change set 10"
    (link,) = rows(url, "article_tag_version", transaction_id=x)
    assert (link["article_id"], link["tag_id"], link["operation_type"]) == (1, 5, 0)
    assert [(r["article_id"], r["tag_id"]) for r in rows(url, "article_tag")] == [(1, 5)]

    shown = chrono(runner, url, "-f", "json", "changes", "show", str(x))
    assert shown.exit_code == 0, shown.output
    cs = json.loads(shown.stdout)
    assert cs["exact"] and cs["reason"] == "chrono revert: change set 10"
    assert sorted((c["table"].split(".")[-1], c["operation"]) for c in cs["changes"]) == [
        ("article", "insert"), ("article_tag", "insert")]

    # Continuum reads a whole history and its validity chain, and its next ordinary save works
    after = run_support("continuum_after", url, tmp_path, "--save", "1")
    one = after["before"]["1"]
    assert [v["op"] for v in one][-2:] == [2, 0] and one[-1]["tx"] == x and one[-2]["end"] == x
    assert (one[-1]["name"], one[-1]["content"]) == ("First!", "hello, world")
    saved = after["after"]["1"][-1]
    assert saved["op"] == 1 and saved["tx"] > x and after["open"]["1"] == 1

    # undo the revert's successor too: the save's change set, then the revert itself
    undo_save = chrono(runner, url, "revert", str(saved["tx"]), "--yes")
    assert undo_save.exit_code == 0, undo_save.output
    undo = chrono(runner, url, "-f", "json", "revert", str(x), "--force", "--yes")
    assert undo.exit_code == 0, undo.output
    doc = json.loads(undo.stdout)
    # set-based: the plan lists its rows by table, parents first; the write deletes children first (the link row
    # before the article it points at)
    assert doc["set_based"] is True
    assert [(i["table"].split(".")[-1], i["action"]) for i in doc["items"]] == [("article", "delete"),
                                                                                ("article_tag", "delete")]
    y = _top_tx(url)
    assert rows(url, "article", id=1) == [] and rows(url, "article_tag") == []
    gone = rows(url, "article_version", id=1, transaction_id=y)[0]
    assert gone["operation_type"] == 2 and gone["name"] == "First!" and gone["end_transaction_id"] is None
    assert all(gone[f"{c}_mod"] for c in ("name", "content", "score"))
    assert rows(url, "article_tag_version", transaction_id=y)[0]["operation_type"] == 2
    # the previous version row of article 1 is closed by the deletion
    assert [r for r in rows(url, "article_version", id=1) if r["end_transaction_id"] is None] == [gone]
    later = run_support("continuum_after", url, tmp_path, "--save", "2")  # the library still writes after chrono
    assert later["after"]["2"][-1]["op"] == 1


def test_later_changes_refuse_the_revert_unless_forced(runner: CliRunner, backend: str, story_clone: StoryClone,
                                                       tmp_path: Path) -> None:
    url, _ = support_clone(story_clone, backend, "continuum_story")
    untouched = checksum(url)

    refused = chrono(runner, url, "revert", "3", "--yes")
    assert refused.exit_code == 6, refused.output
    assert "5 later changes would be overwritten" in refused.stderr  # 4 on article 1, its link deleted
    assert "changed again after the change set" in refused.stderr and "alice" in refused.stderr
    assert "article_tag article_id=1,tag_id=3 is already gone" in refused.stderr
    assert checksum(url) == untouched

    dry = chrono(runner, url, "revert", "3", "--dry-run")
    assert dry.exit_code == 6 and "set-based" in dry.stdout
    undeleted = [ln.split() for ln in dry.stdout.splitlines() if ln.startswith("undelete ")]
    assert [(t.split(".")[-1], k, v) for _, t, k, c, *v in undeleted if c == "name"] == [("article", "1", ["First"])]
    assert checksum(url) == untouched

    forced = chrono(runner, url, "revert", "3", "--force", "--yes")
    assert forced.exit_code == 0, forced.output
    (article,) = rows(url, "article", id=1)
    assert (article["name"], article["content"]) == ("First", "hello")  # its state before transaction 3


def test_a_failing_hook_rolls_back_the_whole_revert(runner: CliRunner, backend: str, story_clone: StoryClone,
                                                    tmp_path: Path) -> None:
    url, _ = support_clone(story_clone, backend, "continuum_story")
    untouched = checksum(url)
    config = write_config(tmp_path / "chrono.toml",
                          before_commit=python_hook(tmp_path / "hook.py", "import sys; sys.exit(3)\n"))
    failed = chrono(runner, url, "revert", "10", "--yes", config=config)
    assert failed.exit_code == 6, failed.output
    assert "rolled back, nothing written" in failed.stderr
    assert checksum(url) == untouched


def test_a_revert_plan_is_refused_when_a_row_changed_meanwhile(runner: CliRunner, backend: str, story_clone: StoryClone,
                                                               tmp_path: Path) -> None:
    url, _ = support_clone(story_clone, backend, "continuum_story")
    plan = tmp_path / "undo.json"
    made = chrono(runner, url, "revert", "8", "--plan", str(plan))
    assert made.exit_code == 0, made.output
    doc = json.loads(plan.read_text(encoding="utf-8"))  # a Continuum transaction: the set-based document
    assert doc["format"] == "chrono-revert-set" and doc["revert"]["changeset"] == "8"
    assert [(i["table"].split(".")[-1], i["key"], i["action"]) for i in doc["items"]] == [
        ("article", {"id": 2}, "delete")]

    meanwhile = chrono(runner, url, "restore", "article", "2", "--version", "#1", "--yes")
    assert meanwhile.exit_code == 0, meanwhile.output
    untouched = checksum(url)
    stale = chrono(runner, url, "apply", str(plan), "--yes")
    assert stale.exit_code == 6 and "change set 8 changed since the plan was made" in stale.stderr
    assert "hint: make a new plan" in stale.stderr
    assert checksum(url) == untouched


def test_unknown_change_set(runner: CliRunner, story_clone: StoryClone) -> None:
    sqlite_url, _ = support_clone(story_clone, "sqlite", "continuum_story")
    missing = chrono(runner, sqlite_url, "revert", "999", "--yes")
    assert missing.exit_code == 4 and "no change set 999" in missing.stderr
    assert "Traceback" not in missing.output


def test_revert_on_a_joined_hierarchy_writes_each_object_once(runner: CliRunner, sqlite_or_pg_backend: str,
                                                              story_clone: StoryClone, tmp_path: Path) -> None:
    """Continuum lists an item row and a book row for each book of a transaction: one object, written once."""
    url, record = support_clone(story_clone, sqlite_or_pg_backend, "continuum_story", "--joined")
    deleted = next(s["tx"] for s in record["joined"] if s["label"] == "delete book 22")
    retitled = next(s["tx"] for s in record["joined"] if s["label"] == "retitle book 20 and item 21")
    undo = chrono(runner, url, "-f", "json", "revert", str(deleted), "--yes")
    assert undo.exit_code == 0, undo.output
    (item,) = json.loads(undo.stdout)["items"]
    assert (item["table"].split(".")[-1], item["action"]) == ("book", "undelete")
    assert [r["title"] for r in rows(url, "item", id=22)] == ["Emma"] and rows(url, "book", id=22)[0]["isbn"]
    again = chrono(runner, url, "-f", "json", "revert", str(retitled), "--yes")
    assert again.exit_code == 0, again.output
    assert sorted((i["table"].split(".")[-1], i["key"]["id"]) for i in json.loads(again.stdout)["items"]) == [
        ("book", 20), ("item", 21)]
    assert rows(url, "item", id=20)[0]["title"] == "Dune (1965)"
    after = run_support("continuum_after", url, tmp_path, "--joined", "--model", "book", "--save", "20")
    book = after["after"]["20"]
    assert [v["end"] for v in book] == [v["tx"] for v in book[1:]] + [None]  # the validity chain holds
    assert book[-2]["title"] == "Dune (1965)" and book[-1]["title"] == "Dune (1965) (saved)"
    assert [v["op"] for v in after["after"]["22"]][-1] == 0
