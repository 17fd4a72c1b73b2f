"""Restore and undelete on histories written by the real SQLAlchemy-Continuum, read back by Continuum itself.

tests/support/continuum_story.py builds the history in a subprocess; chrono then restores article 2 to its
first version (through a plan and ``chrono apply``) and re-creates the deleted article 1;
tests/support/continuum_after.py reads ``obj.versions`` / ``version.changeset`` with Continuum and makes the
next ordinary ORM save. Archiving is in test_archive_continuum.py.

On MariaDB (>= 10.3) SQLAlchemy gives ``transaction.id`` no AUTO_INCREMENT but a ``SEQUENCE transaction_id_seq``
that Continuum draws from: chrono does the same (``NEXTVAL``, read back with ``LASTVAL``).

Joined-table inheritance (§4.6 step 7): a write to one object of a hierarchy writes every table's base row and
version row in one transaction (a book: item + book; a root row that is a book: both too).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy_continuum  # noqa: F401  (a test-extra library: an import error fails the run)
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from tests.conftest import StoryClone
from tests.integration.restore_support import checksum, chrono, rows, run_support, support_clone


def _write(runner: CliRunner, url: str, tmp_path: Path, *args: str) -> dict[str, Any]:
    """Plan to a file, apply it, and return the applied plan's only item."""
    plan = tmp_path / "plan.json"
    made = chrono(runner, url, *args, "--plan", str(plan))
    assert made.exit_code == 0, made.output
    applied = chrono(runner, url, "-f", "json", "apply", str(plan), "--yes")
    assert applied.exit_code == 0, applied.output
    (item,) = json.loads(applied.stdout)["items"]
    return item


def _check(record: dict[str, Any], native: bool, before_tx: int) -> None:
    after = record["after"]
    two = after["2"]
    restore, save = two[-2], two[-1]
    assert restore["tx"] > before_tx and restore["op"] == 1
    assert restore["changeset"] == {"name": ["Second again", "Second"], "content": ["b2", "b"]}
    assert (save["op"], save["changeset"]) == (1, {"name": ["Second", "Second (saved)"]})
    assert save["tx"] > restore["tx"]
    assert [v["end"] for v in two] == [v["tx"] for v in two[1:]] + [None]  # the validity chain
    one = after["1"]
    assert [v["op"] for v in one][-2:] == [2, 0] and one[-1]["tx"] > before_tx and one[-1]["end"] is None
    assert (one[-1]["name"], one[-1]["content"], one[-1]["score"]) == ("First!", "hello, world", "2.25")
    assert one[-2]["end"] == one[-1]["tx"]
    assert record["open"]["1"] == record["open"]["2"] == 1


def test_restore_and_undelete_read_back_by_continuum(runner: CliRunner, sqlite_or_pg_backend: str,
                                                     story_clone: StoryClone, tmp_path: Path) -> None:
    """Plan labels, notes and the undelete; MariaDB (transaction_id_seq): tests/conformance, cases continuum*."""
    url, _ = support_clone(story_clone, sqlite_or_pg_backend, "continuum_story")
    _restore_and_undelete(runner, url, tmp_path, native=False)


def test_restore_and_undelete_in_native_mode(runner: CliRunner, story_clone: StoryClone, tmp_path: Path) -> None:
    """Native versioning exists on PostgreSQL only: chrono writes the transaction and base rows, triggers the rest."""
    url, _ = support_clone(story_clone, "postgresql", "continuum_story", "--native")
    _restore_and_undelete(runner, url, tmp_path, native=True)


def _restore_and_undelete(runner: CliRunner, url: str, tmp_path: Path, *, native: bool) -> None:
    before_tx = max(r["id"] for r in rows(url, "transaction"))
    listed = chrono(runner, url, "-f", "json", "deleted", "article")
    assert listed.exit_code == 0, listed.output
    assert '"1"' in listed.stdout or '"id": 1' in listed.stdout

    item = _write(runner, url, tmp_path, "restore", "article", "2", "--version", "#1", "--actor", "1",
                  "--reason", "back to the first title")
    labels = [s["label"] for s in item["statements"]]
    assert labels[:2] == ["transaction row: the write's transaction (one for all its rows)", "base row"]
    if native:
        assert labels[2:] == ["transaction_meta: reason"]
    else:
        assert any(label.startswith("version row") for label in labels)
        assert any(label.startswith("close the open version row") for label in labels)
        assert "transaction_changes: Article" in labels
    tx = rows(url, "transaction", order_by="id")[-1]
    assert tx["user_id"] == 1 and tx["issued_at"].tzinfo is None
    meta = rows(url, "transaction_meta", transaction_id=tx["id"])
    assert [(m["key"], m["value"]) for m in meta] == [("reason", "back to the first title")]

    undelete = chrono(runner, url, "-f", "json", "restore", "article", "1", "--actor", "nobody", "--yes")
    assert undelete.exit_code == 0, undelete.output
    (doc,) = json.loads(undelete.stdout)["items"]
    assert doc["action"] == "undelete"
    assert any("'nobody' is not a user id" in n for n in doc["notes"])
    assert any("membership of tag is not restored" in n for n in doc["notes"])
    assert rows(url, "transaction", order_by="id")[-1]["user_id"] is None

    record = run_support("continuum_after", url, tmp_path, "--save", "2", *(["--native"] if native else []))
    _check(record, native, before_tx)
    shown = json.loads(chrono(runner, url, "-f", "json", "history", "article", "2").stdout)["versions"]
    assert shown[-2]["reason"] == "back to the first title" and shown[-2]["actor"] == "alice"


def test_native_versioning_with_a_disabled_trigger_is_refused(runner: CliRunner, story_clone: StoryClone) -> None:
    pg_url, _ = support_clone(story_clone, "postgresql", "continuum_story", "--native")
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE article DISABLE TRIGGER article_trigger"))
    engine.dispose()
    before = checksum(pg_url)
    result = chrono(runner, pg_url, "restore", "article", "2", "--version", "#1", "--yes")
    assert result.exit_code == 6, result.output
    assert "disabled" in result.stderr and "Traceback" not in result.output
    assert checksum(pg_url) == before



def _joined_after(url: str, tmp_path: Path, model: str, save: int) -> dict[str, Any]:
    return run_support("continuum_after", url, tmp_path, "--joined", "--model", model, "--save", str(save))


def _assert_chain(versions: list[dict[str, Any]], open_tables: dict[str, dict[str, int]], key: str) -> None:
    assert [v["end"] for v in versions] == [v["tx"] for v in versions[1:]] + [None]  # the validity chain
    assert {t: rows.get(key) for t, rows in open_tables.items()} == {"item_version": 1, "book_version": 1}


def _book_20_written(url: str, tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Continuum's reading after chrono's write and book 20's next ordinary save, and book 20's last two versions
    (the write's and the save's), its validity chain checked."""
    record = _joined_after(url, tmp_path, "book", 20)
    book = record["after"]["20"]
    _assert_chain(book, record["open_tables"], "20")
    return record, book[-2], book[-1]



def test_restore_and_undelete_joined_child_read_back_by_continuum(runner: CliRunner, sqlite_or_pg_backend: str,
                                                                  story_clone: StoryClone, tmp_path: Path) -> None:
    url, _ = support_clone(story_clone, sqlite_or_pg_backend, "continuum_story", "--joined")
    before_tx = max(r["id"] for r in rows(url, "transaction"))
    item = _write(runner, url, tmp_path, "restore", "book", "20", "--version", "#1", "--reason", "first edition")
    assert {d["column"] for d in item["diff"]} == {"title", "isbn"}
    undelete = chrono(runner, url, "-f", "json", "restore", "book", "22", "--yes")
    assert undelete.exit_code == 0, undelete.output

    record, restore, save = _book_20_written(url, tmp_path)
    assert restore["tx"] > before_tx and restore["op"] == 1
    assert (restore["title"], restore["isbn"]) == ("Dune", "978-0441013593")
    assert restore["changeset"] == {"title": ["Dune: Deluxe", "Dune"], "isbn": ["978-0593099322", "978-0441013593"]}
    assert (save["op"], save["changeset"]) == (1, {"title": ["Dune", "Dune (saved)"]})
    again = record["after"]["22"]
    assert [v["op"] for v in again] == [0, 2, 0] and (again[-1]["title"], again[-1]["kind"]) == ("Emma", "book")
    _assert_chain(again, record["open_tables"], "22")



def test_restore_joined_root_of_a_child_read_back_by_continuum(runner: CliRunner, sqlite_or_pg_backend: str,
                                                               story_clone: StoryClone, tmp_path: Path) -> None:
    url, _ = support_clone(story_clone, sqlite_or_pg_backend, "continuum_story", "--joined")
    _write(runner, url, tmp_path, "restore", "item", "20", "--version", "#1")  # book 20's row in the root table
    shown = json.loads(chrono(runner, url, "-f", "json", "history", "book", "20").stdout)["versions"]
    assert shown[-1]["values"]["title"] == "Dune" and shown[-1]["current"] is True  # chrono reads it either way

    _, restore, save = _book_20_written(url, tmp_path)
    assert (restore["op"], restore["title"], restore["isbn"]) == (1, "Dune", "978-0593099322")
    assert restore["changeset"] == {"title": ["Dune: Deluxe", "Dune"]}
    assert save["changeset"] == {"title": ["Dune", "Dune (saved)"]}


def test_joined_hierarchy_bulk_restore_writes_each_object_whole(runner: CliRunner, sqlite_or_pg_backend: str,
                                                                 story_clone: StoryClone, tmp_path: Path) -> None:
    """A bulk restore of a joined hierarchy's table restores each object as a single restore does (its rows in
    every table, one Continuum transaction for all), skipping what had no state then; Continuum reads it back."""
    url, record = support_clone(story_clone, sqlite_or_pg_backend, "continuum_story", "--joined")
    steps = record["joined"]
    at = steps[2]["finished"]  # after book 20's isbn change; before item 21 and book 22 existed
    assert steps[2]["items"]["20"] == {"id": 20, "kind": "book", "title": "Dune (1965)", "isbn": "978-0593099322"}
    before_tx = max(r["id"] for r in rows(url, "transaction"))
    dry = chrono(runner, url, "-f", "json", "restore", "book", "--at", at, "--all-changed-since", at, "--dry-run")
    assert dry.exit_code == 0, dry.output
    plan = json.loads(dry.stdout)  # set-based, a part per table (test_restore_joined_set.py compares the ways)
    assert [(r["action"], r["key"]) for r in plan["rows"]] == [("restore", {"id": 20})]
    assert [t.split(".")[-1] for t in plan["tables"]] == ["item", "book"]
    assert plan["skipped"] == {"absent then and now": 1}
    assert "joined-inheritance" in plan["notes"][0]
    written = chrono(runner, url, "restore", "book", "--at", at, "--all-changed-since", at, "--yes")
    assert written.exit_code == 0, written.output
    _, restore, save = _book_20_written(url, tmp_path)
    assert restore["tx"] > before_tx and restore["op"] == 1
    assert (restore["title"], restore["isbn"]) == ("Dune (1965)", "978-0593099322")
    assert restore["changeset"] == {"title": ["Dune: Deluxe", "Dune (1965)"]}
    assert save["changeset"] == {"title": ["Dune (1965)", "Dune (1965) (saved)"]}  # Continuum's next save works
    assert [r["id"] for r in rows(url, "transaction") if r["id"] > before_tx][:1] == [restore["tx"]]

    # the root table: item 20 is book 20's root row (its item columns restored, its book row versioned with it: a
    # part per class), item 21 was created later (skipped, as set-based restores do)
    url, record = support_clone(story_clone, sqlite_or_pg_backend, "continuum_story", "--joined")
    first = record["joined"][0]["finished"]  # book 20 alone, as first inserted
    keys = tmp_path / "keys.txt"
    keys.write_text("20\n21\n22\n")
    dry = chrono(runner, url, "-f", "json", "restore", "item", "--at", first, "--keys", str(keys), "--dry-run")
    assert dry.exit_code == 0, dry.output
    plan = json.loads(dry.stdout)
    assert [(r["action"], r["key"], [d["column"] for d in r["diff"]]) for r in plan["rows"]] == [
        ("restore", {"id": 20}, ["title"])]
    assert [t.split(".")[-1] for t in plan["tables"]] == ["item", "book"]
    assert plan["skipped"] == {"created after the time (chrono revert removes created rows)": 1,
                               "absent then and now": 1}
    untouched = checksum(url)
    only_22 = tmp_path / "22.txt"
    only_22.write_text("22\n")  # not yet inserted then, deleted since: nothing to write
    nothing = chrono(runner, url, "restore", "book", "--at", first, "--keys", str(only_22), "--yes")
    assert nothing.exit_code == 6 and "book (1 absent then and now)" in nothing.stderr, \
        nothing.output
    assert checksum(url) == untouched
    written = chrono(runner, url, "restore", "item", "--at", first, "--keys", str(keys), "--yes")
    assert written.exit_code == 0, written.output
    book = _joined_after(url, tmp_path, "book", 20)["after"]["20"]
    assert (book[-2]["op"], book[-2]["title"], book[-2]["isbn"]) == (1, "Dune", "978-0593099322")  # root row only
    assert book[-2]["changeset"] == {"title": ["Dune: Deluxe", "Dune"]}
