"""``chrono revert --plan FILE`` where the revert is set-based, and ``chrono apply FILE``: the set-based plan document
(services/revert_set_file.py), planned again as of its time and written only if it shows what the file shows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy_continuum  # noqa: F401  (a test-extra library: an import error fails the run)
from typer.testing import CliRunner

from chrono_cli.config import Config
from chrono_cli.services.changes import list_changes
from chrono_cli.services.workspace import Settings, Workspace
from tests.conftest import StoryClone
from tests.integration.restore_support import (
    checksum,
    chrono,
    execute,
    history_meta_clone,
    python_hook,
    rows,
    run_support,
    support_clone,
    write_config,
)

ORDERS = "continuum_orders"
ORDER_TABLES = ["transaction", "customer", "purchase", "customer_version", "purchase_version", "transaction_changes",
                "transaction_meta"]
JOINED_TABLES = ["transaction", "item", "book", "item_version", "book_version", "transaction_changes",
                 "transaction_meta"]


def _orders(story_clone: StoryClone, backend: str) -> tuple[str, dict[str, int]]:
    url, record = support_clone(story_clone, backend, ORDERS)
    return url, record["tx"]


def _make(runner: CliRunner, url: str, changeset: str, path: Path, *args: str) -> dict[str, Any]:
    """``revert CHANGESET ARGS --plan PATH``: it writes nothing to the database, shows the dry run's plan, and saves
    the set-based document."""
    before = checksum(url)
    dry = chrono(runner, url, "revert", changeset, *args, "--dry-run")
    made = chrono(runner, url, "revert", changeset, *args, "--plan", str(path))
    assert made.exit_code == 0, made.output
    assert checksum(url) == before
    assert made.stdout == dry.stdout and "set-based" in made.stdout
    assert made.stderr.endswith(f"plan written to {path}; apply it with: chrono apply {path}\n")
    assert dry.stderr.replace("dry run: nothing written", "") \
        == made.stderr.replace(f"plan written to {path}; apply it with: chrono apply {path}", "")
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    assert (doc["format"], doc["format_version"], doc["set_based"]) == ("chrono-revert-set", 1, True)
    assert doc["revert"]["changeset"] == changeset and doc["items"]
    return doc


def _both_ways(runner: CliRunner, url: str, other: str, changeset: str, tmp_path: Path, tables: list[str],
               stamp: str, *args: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Revert ``changeset`` set-based on ``url`` directly and on ``other`` (a copy) through a plan file and
    ``apply``; ``tables`` end alike (but for the ``stamp`` column, the time of the write). Returns the plan document
    and the applied one (``apply -f json``)."""
    done = chrono(runner, url, "-f", "json", "revert", changeset, *args, "--yes")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["set_based"] is True
    path = tmp_path / "undo.json"
    doc = _make(runner, other, changeset, path, *args)
    applied = chrono(runner, other, "-f", "json", "apply", str(path), "--yes")
    assert applied.exit_code == 0, applied.output
    for name in tables:
        assert [{k: v for k, v in r.items() if k != stamp} for r in rows(url, name)] \
            == [{k: v for k, v in r.items() if k != stamp} for r in rows(other, name)], name
    return doc, json.loads(applied.stdout)


def test_a_set_plan_file_writes_what_the_set_based_revert_writes(runner: CliRunner, backend: str,
                                                                 story_clone: StoryClone, tmp_path: Path) -> None:
    url, tx = _orders(story_clone, backend)
    other, _ = _orders(story_clone, backend)
    doc, applied = _both_ways(runner, url, other, str(tx["import"]), tmp_path, ORDER_TABLES, "issued_at",
                              "--reason", "undo the import")
    assert sorted((i["table"].split(".")[-1], i["key"]["id"], i["action"]) for i in doc["items"]) == [
        ("customer", 2, "restore"), ("customer", 4, "delete"), ("purchase", 10, "restore"),
        ("purchase", 13, "undelete"), ("purchase", 14, "delete")]
    assert (doc["undelete"], doc["restore"], doc["delete"], doc["reason"]) == (1, 2, 2, "undo the import")
    assert doc["revert"]["window"] is None and doc["revert"]["force"] is False and doc["statements"]
    assert applied["items"] == doc["items"]  # what was written is what the file showed
    x = max(r["id"] for r in rows(other, "transaction"))
    assert rows(other, "transaction_meta", transaction_id=x)[0]["value"] == "undo the import"
    seen = run_support(ORDERS, other, tmp_path, "--read")  # Continuum reads it back
    assert [(c["id"], c["name"]) for c in seen["customer_live"]] == [(1, "Ann"), (2, "Bob"), (3, "Cyd")]

    again = chrono(runner, other, "apply", str(tmp_path / "undo.json"), "--yes")  # applied: it is stale now
    assert again.exit_code == 6 and "changed since the plan was made" in again.stderr, again.output


def test_a_set_plan_is_refused_when_a_row_changed_meanwhile(runner: CliRunner, backend: str,
                                                            story_clone: StoryClone, tmp_path: Path) -> None:
    url, tx = _orders(story_clone, backend)
    path = tmp_path / "undo.json"
    _make(runner, url, str(tx["import"]), path)
    # outside the history: the live row is no longer the state the set left
    execute(url, "UPDATE customer SET name = 'Bobby' WHERE id = 2")
    untouched = checksum(url)
    stale = chrono(runner, url, "apply", str(path), "--yes")
    assert stale.exit_code == 6, stale.output
    assert f"error: change set {tx['import']} changed since the plan was made" in stale.stderr
    assert "hint: make a new plan" in stale.stderr and "Traceback" not in stale.output
    assert checksum(url) == untouched


def test_a_set_plan_that_can_no_longer_be_planned_set_based_is_refused(runner: CliRunner, story_clone: StoryClone,
                                                                       tmp_path: Path) -> None:
    """Applied under a configuration that declares a column of the set's table unrecorded (the set-based revert
    leaves such tables to the row-by-row code): the file's plan cannot be made again, so nothing is written."""
    url, tx = _orders(story_clone, "sqlite")
    path = tmp_path / "undo.json"
    _make(runner, url, str(tx["import"]), path)
    config = tmp_path / "chrono.toml"
    config.write_text('[tables.customer]\nunrecorded = ["email"]\n', encoding="utf-8")
    untouched = checksum(url)
    refused = chrono(runner, url, "apply", str(path), "--yes", config=config)
    assert refused.exit_code == 6, refused.output
    assert refused.stderr.splitlines() == [
        f"error: change set {tx['import']} can no longer be reverted set-based as the plan was: nothing written",
        "hint: make a new plan"]
    assert checksum(url) == untouched


def test_a_forced_set_plan_is_refused_when_a_later_change_came_meanwhile(runner: CliRunner,
                                                                         sqlite_or_pg_backend: str,
                                                                         story_clone: StoryClone,
                                                                         tmp_path: Path) -> None:
    """A forced plan writes over the later changes it lists, and no other: one more since refuses it."""
    url, tx = _orders(story_clone, sqlite_or_pg_backend)
    path = tmp_path / "undo.json"
    assert chrono(runner, url, "revert", str(tx["rename 3"]), "--plan", str(path)).exit_code == 6  # conflicts
    assert not path.exists()
    doc = _make(runner, url, str(tx["rename 3"]), path, "--force")
    assert len(doc["revert"]["conflicts"]) == 1 and doc["revert"]["force"] is True
    assert chrono(runner, url, "restore", "customer", "3", "--version", "#1", "--yes").exit_code == 0
    untouched = checksum(url)
    stale = chrono(runner, url, "apply", str(path), "--yes")
    assert stale.exit_code == 6 and "changed since the plan was made" in stale.stderr, stale.output
    assert checksum(url) == untouched


def test_a_set_plan_is_refused_when_a_row_can_no_longer_be_written(runner: CliRunner, backend: str,
                                                                   story_clone: StoryClone, tmp_path: Path) -> None:
    """Customer 5's email taken by another row since the plan: its re-insert cannot be written (refused even
    forced)."""
    url, tx = _orders(story_clone, backend)
    path = tmp_path / "undo.json"
    _make(runner, url, str(tx["drop customer 5"]), path, "--force")
    execute(url, "INSERT INTO customer (id, name, email) VALUES (9, 'Eva', 'eve@example.org')")
    untouched = checksum(url)
    blocked = chrono(runner, url, "apply", str(path), "--yes")
    assert blocked.exit_code == 6, blocked.output
    assert f"change set {tx['drop customer 5']} cannot be reverted now: " in blocked.stderr
    assert "hint: make a new plan" in blocked.stderr and checksum(url) == untouched


def _tampered(doc: dict[str, Any], how: str) -> dict[str, Any]:
    doc = json.loads(json.dumps(doc))
    if how == "diff value":
        (change,) = [d for i in doc["items"] if i["key"] == {"id": 2} and i["action"] == "restore" for d in i["diff"]
                     if d["column"] == "name"]
        change["new"] = "Mallory"
    elif how == "item removed":
        doc["items"] = [i for i in doc["items"] if i["action"] != "delete"]
    elif how == "count":
        doc["delete"] -= 1
    elif how == "statement":
        doc["statements"][-1]["sql"] = doc["statements"][-1]["sql"].replace("DELETE", "DELETE /* x */")
    elif how == "skipped":
        doc["revert"]["skipped"].append("customer id=1 is already gone")
    return doc


@pytest.mark.parametrize(("how", "says"), [("diff value", "customer 2 is no longer written as the plan shows"),
                                           ("item removed", "customer 4 would be written too"),
                                           ("count", "2 rows to delete instead of 1"),
                                           ("statement", "its statements differ"),
                                           ("skipped", "its skipped differ")])
def test_a_tampered_set_plan_is_refused(runner: CliRunner, sqlite_or_pg_backend: str, story_clone: StoryClone,
                                        tmp_path: Path, how: str, says: str) -> None:
    url, tx = _orders(story_clone, sqlite_or_pg_backend)
    path = tmp_path / "undo.json"
    doc = _make(runner, url, str(tx["import"]), path)
    path.write_text(json.dumps(_tampered(doc, how)), encoding="utf-8")
    untouched = checksum(url)
    refused = chrono(runner, url, "apply", str(path), "--yes")
    assert refused.exit_code == 6, refused.output
    assert says in refused.stderr and "hint: make a new plan" in refused.stderr
    assert checksum(url) == untouched


def test_a_set_plan_for_another_dialect_is_refused(runner: CliRunner, story_clone: StoryClone,
                                                   tmp_path: Path) -> None:
    url, tx = _orders(story_clone, "sqlite")
    path = tmp_path / "undo.json"
    doc = _make(runner, url, str(tx["import"]), path)
    path.write_text(json.dumps({**doc, "dialect": "postgresql"}), encoding="utf-8")
    untouched = checksum(url)
    refused = chrono(runner, url, "apply", str(path), "--yes")
    assert refused.exit_code == 2, refused.output
    assert refused.stderr == "error: the plan was made for postgresql, this database is sqlite\n"
    assert checksum(url) == untouched


@pytest.mark.parametrize(("field", "value", "says"), [
    ("revert", None, "revert must be an object, not nothing"),
    ("revert.changeset", 3, "revert.changeset must be a string, not int"),
    ("revert.force", "yes", "revert.force must be true or false, not str"),
    ("revert.window", "5", "revert.window must be a number, not str"),
    ("items", {}, "items must be a list, not dict"),
    ("items.0", ["customer"], "items[] must be an object, not list"),
    ("items.0.diff", None, "items[0].diff must be a list, not nothing"),
    ("statements", None, "statements must be a list, not nothing"),
    ("restore", "2", "restore must be an integer, not str"),
    ("created_at", "yesterday", "created_at 'yesterday' is not an ISO-8601 time"),
    ("format_version", 2, "unsupported plan format version 2"),
])
def test_a_malformed_set_plan_is_a_one_line_error(runner: CliRunner, story_clone: StoryClone, tmp_path: Path,
                                                  field: str, value: Any, says: str) -> None:
    url, tx = _orders(story_clone, "sqlite")
    path = tmp_path / "undo.json"
    doc = _make(runner, url, str(tx["import"]), path)
    *parents, last = field.split(".")
    place: Any = doc
    for p in parents:
        place = place[int(p)] if isinstance(place, list) else place[p]
    place[int(last) if isinstance(place, list) else last] = value
    path.write_text(json.dumps(doc), encoding="utf-8")
    untouched = checksum(url)
    bad = chrono(runner, url, "apply", str(path), "--yes")
    assert bad.exit_code == 2, bad.output
    (line,) = bad.stderr.splitlines()
    assert line.startswith("error: ") and says in line, line
    assert bad.stdout == "" and checksum(url) == untouched


def test_apply_dry_run_and_sql_of_a_set_plan_write_nothing(runner: CliRunner, sqlite_or_pg_backend: str,
                                                           story_clone: StoryClone, tmp_path: Path) -> None:
    url, tx = _orders(story_clone, sqlite_or_pg_backend)
    path = tmp_path / "undo.json"
    doc = _make(runner, url, str(tx["import"]), path)
    untouched = checksum(url)
    dry = chrono(runner, url, "-f", "json", "apply", str(path), "--dry-run")
    assert dry.exit_code == 0, dry.output
    shown = json.loads(dry.stdout)
    assert shown["items"] == doc["items"] and shown["statements"] == doc["statements"]
    assert dry.stderr.endswith("dry run: nothing written\n")
    sql = chrono(runner, url, "apply", str(path), "--sql")
    assert sql.exit_code == 0 and "DELETE FROM" in sql.stdout and "chrono_stage" in sql.stdout, sql.output
    off_tty = chrono(runner, url, "apply", str(path))
    assert off_tty.exit_code == 6 and "pass --yes" in off_tty.stderr
    assert checksum(url) == untouched


def test_a_set_plan_runs_the_hooks_and_a_failing_one_rolls_it_back(runner: CliRunner, story_clone: StoryClone,
                                                                   tmp_path: Path) -> None:
    url, tx = _orders(story_clone, "sqlite")
    path = tmp_path / "undo.json"
    _make(runner, url, str(tx["import"]), path)
    untouched = checksum(url)
    failing = write_config(tmp_path / "fail.toml",
                           before_commit=python_hook(tmp_path / "fail.py", "import sys; sys.exit(3)\n"))
    failed = chrono(runner, url, "apply", str(path), "--yes", config=failing)
    assert failed.exit_code == 6 and "rolled back, nothing written" in failed.stderr, failed.output
    assert checksum(url) == untouched
    seen = tmp_path / "seen.json"
    record = python_hook(tmp_path / "record.py", f"import sys; open({str(seen)!r}, 'w').write(sys.stdin.read())\n")
    done = chrono(runner, url, "apply", str(path), "--yes", config=write_config(tmp_path / "ok.toml",
                                                                               after_commit=record))
    assert done.exit_code == 0, done.output
    hooked = json.loads(seen.read_text(encoding="utf-8"))
    assert hooked["set_based"] is True and hooked["revert"]["changeset"] == str(tx["import"])


def test_a_joined_set_plan_file_writes_what_the_set_based_revert_writes(runner: CliRunner, backend: str,
                                                                        story_clone: StoryClone,
                                                                        tmp_path: Path) -> None:
    url, record = support_clone(story_clone, backend, "continuum_story", "--joined")
    other, _ = support_clone(story_clone, backend, "continuum_story", "--joined")
    tx = {s["label"]: s["tx"] for s in record["joined"]}
    doc, _ = _both_ways(runner, url, other, str(tx["retitle book 20 and item 21"]), tmp_path, JOINED_TABLES,
                        "issued_at")
    assert sorted((i["table"].split(".")[-1], i["key"]["id"], i["action"]) for i in doc["items"]) == [
        ("book", 20, "restore"), ("item", 21, "restore")]
    assert [r["title"] for r in rows(other, "item")] == ["Dune (1965)", "Bookmark"]


def test_an_inferred_set_plan_file_writes_what_the_set_based_revert_writes(runner: CliRunner, backend: str,
                                                                           story_clone: StoryClone,
                                                                           tmp_path: Path) -> None:
    """history_meta's changes of appuser grouped by a two-minute window: the window is kept in the file."""
    url, _ = history_meta_clone(story_clone, backend)
    ws = Workspace(Settings(url, (), Config()))
    try:
        (chained,) = [cs for cs in list_changes(ws, limit=50, window=120).changesets
                      if {c.table.name for c in cs.changes} == {"appuser"}]
    finally:
        ws.close()
    other, _ = history_meta_clone(story_clone, backend)
    doc, _ = _both_ways(runner, url, other, chained.id, tmp_path, ["appuser", "appuser_history"], "changed",
                        "--window", "120", "--force")
    assert doc["revert"]["window"] == 120 and doc["revert"]["exact"] is False
    assert (doc["undelete"], doc["restore"], doc["delete"]) == (1, 2, 0)
