"""``chrono revert`` set-based on a joined-inheritance hierarchy written by the real SQLAlchemy-Continuum (``item``
root, ``book`` child: tests/support/continuum_story.py ``--joined``), compared with the row-by-row revert and read
back by Continuum itself.

The story: transaction "insert book 20", "retitle book 20 (root table only)", "change book 20's isbn (child table
only)", "insert plain item 21 and book 22", "retitle book 20 and item 21", "delete book 22"; each has a version row
in ``item_version`` and in ``book_version`` for every book it touched.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy_continuum  # noqa: F401  (a test-extra library: an import error fails the run)
from typer.testing import CliRunner

from chrono_cli.config import Config
from chrono_cli.services.workspace import Settings, Workspace
from tests.conftest import StoryClone
from tests.integration.restore_support import (
    checksum,
    chrono,
    execute,
    revert_both_ways,
    revert_row_by_row,
    reverts_agree,
    rows,
    run_support,
    support_clone,
)

STORY = ("continuum_story", "--joined")
LABELS = ["insert book 20", "retitle book 20 (root table only)", "change book 20's isbn (child table only)",
          "insert plain item 21 and book 22", "retitle book 20 and item 21", "delete book 22"]
TABLES = ["item", "book", "item_version", "book_version", "transaction", "transaction_changes", "transaction_meta"]


def _story(story_clone: StoryClone, backend: str) -> tuple[str, dict[str, int]]:
    url, record = support_clone(story_clone, backend, *STORY)
    return url, {s["label"]: s["tx"] for s in record["joined"]}


def test_every_joined_change_set_is_planned_set_based_as_row_by_row(backend: str,
                                                                    story_clone: StoryClone) -> None:
    """Inserts, updates (of either table, or both) and a delete: the same conflicts, skips, rows and values."""
    url, tx = _story(story_clone, backend)
    ws = Workspace(Settings(url, (), Config()))
    try:
        planned = {label: reverts_agree(ws, str(ident), 5.0) for label, ident in tx.items()}
    finally:
        ws.close()
    assert all(plan is not None for plan in planned.values()), planned
    # an object is one plan item, on its own (deepest) table, though both tables are written
    retitle = planned["retitle book 20 and item 21"]
    assert [p.table.split(".")[-1] for p in retitle.parts] == ["item", "book"]
    assert sorted((i["table"].split(".")[-1], i["key"]["id"]) for p in retitle.parts for i in p.items()) == [
        ("book", 20), ("item", 21)]
    assert retitle.counts() == (0, 2, 0)
    # planned by the database: every row a restore, the object's book row (no column of its own changes) with it
    assert [p.quick is not None for p in retitle.parts] == [True, True]
    (undelete,) = [i for p in planned["delete book 22"].parts for i in p.items()]
    assert [d["column"] for d in undelete["diff"]] == ["id", "kind", "title", "isbn"]
    created = planned["insert plain item 21 and book 22"]  # book 22 is gone again: skipped in both tables
    assert [s.split(".")[-1] for s in created.skipped] == ["item 22 is already gone (the change set created it)",
                                                           "book 22 is already gone (the change set created it)"]


def test_an_object_with_a_row_not_planned_by_the_database_is_planned_whole_in_python(backend: str,
                                                                                    story_clone: StoryClone) -> None:
    """Book 20's isbn changed outside the history since: its ``book`` row is no quick restore, so its ``item`` row
    (and the plain item 21 beside it) are planned in Python too, and the conflict reads as row by row."""
    url, tx = _story(story_clone, backend)
    execute(url, "UPDATE book SET isbn = 'changed outside' WHERE id = 20")
    ws = Workspace(Settings(url, (), Config()))
    try:
        plan = reverts_agree(ws, str(tx["retitle book 20 and item 21"]), 5.0)
    finally:
        ws.close()
    assert plan is not None and [p.quick for p in plan.parts] == [None, None]
    assert [(c.table.split(".")[-1], c.key) for c in plan.conflicts] == [("book", {"id": 20})]


def test_a_joined_delete_is_undone_set_based_as_row_by_row(runner: CliRunner, backend: str,
                                                           story_clone: StoryClone, tmp_path: Path) -> None:
    url, tx = _story(story_clone, backend)
    other, _ = _story(story_clone, backend)
    top = max(r["id"] for r in rows(url, "transaction"))
    done = revert_both_ways(runner, url, other, str(tx["delete book 22"]), tmp_path, TABLES, "issued_at")
    (item,) = json.loads(done.stdout)["items"]
    assert (item["table"].split(".")[-1], item["action"]) == ("book", "undelete")
    assert rows(url, "item", id=22)[0]["title"] == "Emma" and rows(url, "book", id=22)[0]["isbn"] == "978-0141439587"
    assert [r["entity_name"] for r in rows(url, "transaction_changes", transaction_id=top + 1)] == ["Book"]
    after = run_support("continuum_after", url, tmp_path, "--joined", "--model", "book", "--save", "22")
    book = after["after"]["22"]
    assert [v["op"] for v in book] == [0, 2, 0, 1]  # created, deleted, re-created by the revert, saved
    assert [v["end"] for v in book] == [v["tx"] for v in book[1:]] + [None]  # the validity chain holds
    assert after["open_tables"]["item_version"]["22"] == 1 and after["open_tables"]["book_version"]["22"] == 1


def test_a_joined_update_writes_every_table_of_the_object(runner: CliRunner, backend: str,
                                                          story_clone: StoryClone, tmp_path: Path) -> None:
    """Only ``item.title`` changes back, yet book 20 gets a ``book_version`` row too (as Continuum and the
    row-by-row revert write it), and the transaction records each object's class: Book for book 20 (not its root
    table's), Item for the plain item 21."""
    url, tx = _story(story_clone, backend)
    other, _ = _story(story_clone, backend)
    top = max(r["id"] for r in rows(url, "transaction"))
    revert_both_ways(runner, url, other, str(tx["retitle book 20 and item 21"]), tmp_path, TABLES, "issued_at")
    assert [r["title"] for r in rows(url, "item")] == ["Dune (1965)", "Bookmark"]
    (version,) = rows(url, "book_version", transaction_id=top + 1)
    assert (version["isbn"], version["operation_type"], version["isbn_mod"]) == ("978-0593099322", 1, False)
    assert sorted(r["entity_name"] for r in rows(url, "transaction_changes", transaction_id=top + 1)) == [
        "Book", "Item"]  # as Continuum recorded the change set itself
    after = run_support("continuum_after", url, tmp_path, "--joined", "--model", "book", "--save", "20")
    book = after["after"]["20"]
    assert [v["end"] for v in book] == [v["tx"] for v in book[1:]] + [None]
    assert book[-2]["title"] == "Dune (1965)" and book[-1]["title"] == "Dune (1965) (saved)"


def test_a_joined_insert_changed_since_is_refused_then_forced(runner: CliRunner, backend: str,
                                                              story_clone: StoryClone, tmp_path: Path) -> None:
    """Book 20 changed in later transactions: refused (each table's later changes listed, as row by row) unless
    forced; forced, the object is deleted from both tables, the child's row first."""
    url, tx = _story(story_clone, backend)
    untouched = checksum(url)
    refused = chrono(runner, url, "revert", str(tx["insert book 20"]), "--yes")
    assert refused.exit_code == 6, refused.output
    assert "6 later changes would be overwritten" in refused.stderr
    dry = chrono(runner, url, "revert", str(tx["insert book 20"]), "--dry-run")
    assert dry.exit_code == 6 and "set-based: 0 rows re-inserted, 0 restored, 1 deleted" in dry.stdout
    assert checksum(url) == untouched

    other, _ = _story(story_clone, backend)
    done = revert_both_ways(runner, url, other, str(tx["insert book 20"]), tmp_path, TABLES, "issued_at")
    assert [(i["table"].split(".")[-1], i["action"]) for i in json.loads(done.stdout)["items"]] == [
        ("book", "delete")]
    assert rows(url, "item", id=20) == [] and rows(url, "book", id=20) == []
    for name in ("item_version", "book_version"):  # a deletion row, the only open one
        assert [(r["operation_type"], r["end_transaction_id"]) for r in rows(url, name, id=20)][-2:] == [
            (1, max(r["id"] for r in rows(url, "transaction"))), (2, None)], name
    after = run_support("continuum_after", url, tmp_path, "--joined", "--model", "item", "--save", "21")
    assert "20" not in after["before"] and after["after"]["21"][-1]["title"] == "Bookmark 2 (saved)"


@pytest.mark.parametrize("label", LABELS)
def test_under_native_versioning_a_joined_change_set_reverts_as_row_by_row(runner: CliRunner,
                                                                           story_clone: StoryClone, label: str) -> None:
    """Continuum's triggers (PostgreSQL) write the version rows, and version only the tables a statement writes (a
    change of book 20's title alone has no book_version row): a root table's rows are reverted as they are,
    set-based; a change of book 20's isbn alone goes row by row (book 20's reading has item's columns, so its state
    before the set and its later changes are the object's). The CLI's revert and the row-by-row revert on a twin
    copy leave every table alike (the triggers skip an UPDATE that changes no value, as the row-by-row write leaves
    such a row alone); both ways plan alike."""
    url, record = support_clone(story_clone, "postgresql", *STORY, "--native")
    other, _ = support_clone(story_clone, "postgresql", *STORY, "--native")
    tx = {s["label"]: s["tx"] for s in record["joined"]}
    assert list(tx) == LABELS
    ws = Workspace(Settings(url, (), Config()))
    try:
        reverts_agree(ws, str(tx[label]), 5.0)
    finally:
        ws.close()
    done = chrono(runner, url, "-f", "json", "revert", str(tx[label]), "--force", "--yes")
    assert done.exit_code == 0, done.output
    assert bool(json.loads(done.stdout).get("set_based")) is (label != "change book 20's isbn (child table only)")
    revert_row_by_row(other, str(tx[label]))
    for name in TABLES:
        assert [{k: v for k, v in r.items() if k != "issued_at"} for r in rows(url, name)] \
            == [{k: v for k, v in r.items() if k != "issued_at"} for r in rows(other, name)], name


def test_a_re_inserted_object_takes_an_unversioned_column_s_default(runner: CliRunner, backend: str,
                                                                    story_clone: StoryClone, tmp_path: Path) -> None:
    """``book.pages`` was added after the story, NOT NULL with a default, and not versioned (``book_version`` has no
    such column): re-inserting book 22 leaves it out, so the default applies, set-based and row by row alike (as the
    single restore's plan says: "not recorded by the history: left to its default"; the row-by-row write of an
    object had inserted NULL there, and such a revert went row by row)."""
    url, tx = _story(story_clone, backend)
    other, _ = _story(story_clone, backend)
    for u in (url, other):
        execute(u, "ALTER TABLE book ADD COLUMN pages integer DEFAULT 100 NOT NULL")
    revert_both_ways(runner, url, other, str(tx["delete book 22"]), tmp_path, TABLES, "issued_at")
    assert [(r["isbn"], r["pages"]) for r in rows(url, "book", id=22)] == [("978-0141439587", 100)]
