"""``chrono restore TABLE --at T --all-changed-since S | --keys FILE`` on a joined-inheritance hierarchy written by the
real SQLAlchemy-Continuum (``item`` root, ``book`` child: tests/support/continuum_story.py ``--joined``), set-based
(services/bulk_joined.py), compared with the same objects restored one by one (services/bulk_objects.py, each as
``chrono restore book KEY --at T`` writes it) on a twin copy, and read back by Continuum.

SQLite and PostgreSQL only: on MariaDB the story's transactions, a few milliseconds apart, share one whole-second
``issued_at`` (Continuum's DATETIME column there), so no time between them can be named.

The story: transaction "insert book 20", "retitle book 20 (root table only)", "change book 20's isbn (child table
only)", "insert plain item 21 and book 22", "retitle book 20 and item 21", "delete book 22".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy_continuum  # noqa: F401  (a test-extra library: an import error fails the run)
from sqlalchemy import MetaData, create_engine, select
from typer.testing import CliRunner

from chrono_cli import conventions
from chrono_cli.config import Config
from chrono_cli.errors import NothingToWrite, Refused, UsageError
from chrono_cli.services.apply import apply_plan
from chrono_cli.services.bulk_objects import plan_objects
from chrono_cli.services.bulk_restore import BulkPlan, apply_bulk_restore, context, plan_bulk_restore
from chrono_cli.services.plan import Plan
from chrono_cli.services.target import history_detection, open_target
from chrono_cli.services.times import parse_time
from chrono_cli.services.workspace import Settings, Workspace
from chrono_cli.services.writeset import default_reason, resolve_meta
from tests.conftest import StoryClone
from tests.integration.restore_support import checksum, chrono, execute, rows, run_support, support_clone

STORY = ("continuum_story", "--joined")
TABLES = ["item", "book", "item_version", "book_version", "transaction_changes", "transaction_meta"]
LABELS = ["insert book 20", "retitle book 20 (root table only)", "change book 20's isbn (child table only)",
          "insert plain item 21 and book 22", "retitle book 20 and item 21", "delete book 22"]


def _database(url: str) -> dict[str, Any]:
    """Every row the restores write, in key order; the transaction rows without their time (each write stamps its
    own). One connection and one reflection for all the tables."""
    engine = create_engine(url)
    try:
        md = MetaData()
        md.reflect(engine, only=[*TABLES, "transaction"])
        with engine.connect() as conn:
            out = {name: [dict(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns)).mappings()]
                   for name, t in md.tables.items()}
    finally:
        engine.dispose()
    out["transaction"] = [{k: v for k, v in r.items() if k != "issued_at"} for r in out["transaction"]]
    return out


def _restored(url: str, table: str, at: str, since: str | None, keys: Path | None,
              only: tuple[str, ...] | None = None) -> BulkPlan | Plan | None:
    """The restore as the CLI plans and writes it: set-based (a BulkPlan) or, where it cannot be, one by one."""
    ws = Workspace(Settings(url, (), Config()))
    try:
        try:
            plan = plan_bulk_restore(ws, table, at=at, since=since, keys_file=None if keys is None else str(keys),
                                     only=only)
        except NothingToWrite:
            return None
        if isinstance(plan, BulkPlan):
            apply_bulk_restore(ws, plan)
        else:
            apply_plan(ws, plan)
        return plan
    finally:
        ws.close()


def _one_by_one(url: str, table: str, at: str, since: str | None, keys: list[tuple[Any, ...]],
                only: tuple[str, ...] | None = None, progress: Any = None) -> Any:
    """The same restore, each object written as a single restore writes it (the path a bulk restore of joined
    objects took before it was set-based, and still takes where it cannot be)."""
    ws = Workspace(Settings(url, (), Config()))
    try:
        now = datetime.now(UTC)
        with ws.catalog() as cat:
            target = open_target(cat, table)
            det = history_detection(target, None)
            at_t = parse_time(at)
            meta = default_reason(resolve_meta(ws.config, None, None), f"chrono restore: state at {at_t.isoformat()}")
            ctx = context(cat, target, det.adapter, meta, now)
            if since is not None:
                keys = conventions.of(det).write_bulk().keys_since(ctx, parse_time(since))
            try:
                plan = plan_objects(cat, target, url, keys, at_t, only, None, meta, now, progress)
            except NothingToWrite:
                return None
        apply_plan(ws, plan, progress)
        return plan
    finally:
        ws.close()


def _both_ways(story_clone: StoryClone, backend: str, options: tuple[str, ...], tmp_path: Path, table: str,
               at_step: int, since_step: int | None, listed: list[str] | None, set_based: bool,
               only: tuple[str, ...] | None = None) -> tuple[str, dict[str, Any], BulkPlan | Plan | None, Any]:
    """Restore as the CLI does (``set_based``: it must be) on one copy of the story and one by one on a twin; check
    every table ends alike. Returns the first copy, its rows before, and both plans (None: nothing to write)."""
    url, record = support_clone(story_clone, backend, *STORY, *options)
    twin, _ = support_clone(story_clone, backend, *STORY, *options)
    assert [s["label"] for s in record["joined"]] == LABELS
    at = record["joined"][at_step]["finished"]
    since = None if since_step is None else record["joined"][since_step]["finished"]
    keys = None if listed is None else _keys(tmp_path, listed)
    before = _database(url)
    plan = _restored(url, table, at, since, keys, only)
    other = _one_by_one(twin, table, at, since, [(int(k),) for k in listed or ()], only)
    assert (plan is None) == (other is None)
    assert plan is None or isinstance(plan, BulkPlan) is set_based
    assert _database(url) == _database(twin)
    return url, before, plan, other


# (restored table, the step whose end is --at, the step whose end is --all-changed-since, or listed keys, whether
# set-based: every case is; test_restore_continuum.py has one that goes one by one)
CASES = [
    ("book", 0, 0, None, True),  # book 20 (both tables changed since), book 22 created later: skipped
    ("book", 1, 1, None, True),  # book 20: its isbn changed in the child table only, its title later
    ("book", 2, 2, None, True),  # book 20 restored, book 22 absent then and now
    ("book", 3, 3, None, True),  # book 20 restored (root only), book 22 deleted since: re-created whole
    ("book", 4, 4, None, True),  # book 22 re-created, book 20 already in that state
    ("book", 5, 5, None, True),  # nothing changed since: nothing to write, both ways
    ("book", 4, 0, None, True),  # every book changed since the first step, to their states before the delete
    ("book", 3, None, ["20", "22"], True),  # listed keys
    ("item", 3, None, ["21"], True),  # a plain item of the root table (no ancestor): one part
    ("item", 0, 0, None, True),  # the root table: book 20's item row (its book row versioned with it), 21 and 22 later
    ("item", 2, 2, None, True),  # book 20's title; item 21 created later, book 22 absent then and now
    ("item", 3, None, ["20", "21"], True),  # a book and a plain item: a part per class
]


@pytest.mark.parametrize(("table", "at_step", "since_step", "listed", "set_based"), CASES,
                         ids=[f"{c[0]}-at{c[1]}-{'since' + str(c[2]) if c[3] is None else 'keys'}" for c in CASES])
def test_a_joined_bulk_restore_writes_what_restoring_each_object_writes(
        sqlite_or_pg_backend: str, story_clone: StoryClone, tmp_path: Path, table: str, at_step: int,
        since_step: int | None, listed: list[str] | None, set_based: bool) -> None:
    """Set-based and one by one on twin copies: the same live rows, version rows (their transaction ids, end
    transaction ids, operation types and ``_mod`` flags), ``transaction_changes`` entries and reason; the same
    objects restored or re-created, each with the same changed columns."""
    url, before, plan, other = _both_ways(story_clone, sqlite_or_pg_backend, (), tmp_path, table, at_step,
                                          since_step, listed, set_based)
    if plan is None:
        assert _database(url) == before
        return
    assert _database(url) != before
    if not isinstance(plan, BulkPlan):
        return
    doc = plan.to_json()
    assert sorted((r["key"]["id"], r["action"], [d["column"] for d in r["diff"]]) for r in doc["rows"]) == \
        sorted((i["key"]["id"], i["action"], [d["column"] for d in i["diff"] if d["column"] != "id"])
               for i in other.to_json()["items"])  # a bulk restore's re-created row lists no key column
    books = any(r["key"]["id"] in (20, 22) for r in doc["rows"])
    assert [t.split(".")[-1] for t in doc["tables"]] == (["item", "book"] if table == "book" or books else ["item"])


def test_a_recreated_object_reads_back_in_continuum(runner: CliRunner, sqlite_or_pg_backend: str,
                                                   story_clone: StoryClone, tmp_path: Path) -> None:
    """Book 22, deleted since, re-created set-based with book 20's restore: Continuum's own reading of both (the
    versions' values, operation types and validity chain) and its next ordinary save."""
    url, record = support_clone(story_clone, sqlite_or_pg_backend, *STORY)
    at = record["joined"][3]["finished"]
    dry = chrono(runner, url, "-f", "json", "restore", "book", "--at", at, "--all-changed-since", at, "--dry-run")
    assert dry.exit_code == 0, dry.output
    plan = json.loads(dry.stdout)
    assert [(r["key"]["id"], r["action"], [d["column"] for d in r["diff"]]) for r in plan["rows"]] == [
        (20, "restore", ["title"]), (22, "undelete", ["kind", "title", "isbn"])]
    assert (plan["restored"], plan["recreated"], plan["skipped"]) == (1, 1, {})
    assert "a set-based part per table" in plan["notes"][0]
    before_tx = max(r["id"] for r in rows(url, "transaction"))
    written = chrono(runner, url, "restore", "book", "--at", at, "--all-changed-since", at, "--yes")
    assert written.exit_code == 0, written.output

    read = run_support("continuum_after", url, tmp_path, "--joined", "--model", "book", "--save", "22")
    again = read["after"]["22"]
    assert [v["op"] for v in again] == [0, 2, 0, 1]  # inserted, deleted, re-created by chrono, saved
    assert again[2]["tx"] == before_tx + 1 and (again[2]["title"], again[2]["kind"]) == ("Emma", "book")
    assert [v["end"] for v in again] == [v["tx"] for v in again[1:]] + [None]  # the validity chain
    assert {t: r.get("22") for t, r in read["open_tables"].items()} == {"item_version": 1, "book_version": 1}
    dune = run_support("continuum_after", url, tmp_path, "--joined", "--model", "book", "--save", "20")["after"]["20"]
    assert (dune[-2]["tx"], dune[-2]["title"], dune[-2]["changeset"]) == (
        before_tx + 1, "Dune (1965)", {"title": ["Dune: Deluxe", "Dune (1965)"]})


def test_a_listed_key_of_no_object_refuses_the_joined_restore(runner: CliRunner, sqlite_or_pg_backend: str,
                                                              story_clone: StoryClone, tmp_path: Path) -> None:
    """As a single-table restore refuses it: a key with no row and no history is a typo, not a skip."""
    url, record = support_clone(story_clone, sqlite_or_pg_backend, *STORY)
    keys = tmp_path / "keys.txt"
    keys.write_text("20\n99\n")
    untouched = checksum(url)
    result = chrono(runner, url, "restore", "book", "--at", record["joined"][3]["finished"], "--keys", str(keys),
                    "--yes")
    assert result.exit_code != 0 and "names 1 key with no row of" in result.stderr and "99" in result.stderr, \
        result.output
    assert checksum(url) == untouched


@pytest.mark.parametrize(("table", "at_step", "since_step", "listed", "set_based"), CASES,
                         ids=[f"{c[0]}-at{c[1]}-{'since' + str(c[2]) if c[3] is None else 'keys'}" for c in CASES])
def test_under_native_versioning_too(story_clone: StoryClone, tmp_path: Path, table: str, at_step: int,
                                     since_step: int | None, listed: list[str] | None, set_based: bool) -> None:
    """Continuum's triggers (PostgreSQL) write the version rows of what the restore writes: set-based and one by one
    end alike (the triggers skip an UPDATE that changes no value, so the set-based UPDATE of a part's unchanged rows
    versions none, as the single restore, which leaves them alone)."""
    _both_ways(story_clone, "postgresql", ("--native",), tmp_path, table, at_step, since_step, listed, set_based)


def test_under_native_versioning_a_change_in_the_root_table_only_is_found(story_clone: StoryClone) -> None:
    """The triggers version only the tables a statement writes: book 20, changed since only in the root table (its
    title), has no ``book_version`` row since, and is found by its ``item`` version rows. (Continuum's own reading
    of this store fails on those item-only versions, so it is read here.)"""
    url, record = support_clone(story_clone, "postgresql", *STORY, "--native")
    at = record["joined"][2]["finished"]
    before = {t: rows(url, t) for t in ("item_version", "book_version", "transaction")}
    plan = _restored(url, "book", at, at, None)
    assert isinstance(plan, BulkPlan) and [(r.key, r.current is None) for r in plan.rows] == [((20,), False)]
    assert [(r.key, r.new) for r in plan.parts[0].rows] == [((20,), {"kind": "book", "title": "Dune (1965)"})]
    assert [(r["title"], r["kind"]) for r in rows(url, "item", id=20)] == [("Dune (1965)", "book")]
    assert [r["isbn"] for r in rows(url, "book", id=20)] == ["978-0593099322"]
    (tx,) = [r["id"] for r in rows(url, "transaction") if r not in before["transaction"]]
    written = [r for r in rows(url, "item_version") if r["transaction_id"] == tx]
    assert [(r["id"], r["title"], r["transaction_id"], r["operation_type"]) for r in written] == [
        (20, "Dune (1965)", tx, 1)]
    assert rows(url, "book_version") == before["book_version"]  # the book row was written over with its own values


def test_a_deleted_object_of_a_subclass_is_not_re_created_from_the_root_table(
        runner: CliRunner, sqlite_or_pg_backend: str, story_clone: StoryClone, tmp_path: Path) -> None:
    """``item``'s history holds only item's columns: book 22, deleted since, re-created from it would be an item row
    without its book row (half an object, which Continuum cannot load). The bulk restore skips it and says how to
    restore it; the single restore refuses it with that hint; restoring it from ``book`` re-creates it whole."""
    url, record = support_clone(story_clone, sqlite_or_pg_backend, *STORY)
    twin, _ = support_clone(story_clone, sqlite_or_pg_backend, *STORY)
    at = record["joined"][3]["finished"]  # item 21 and book 22 just inserted
    untouched = checksum(url)
    single = chrono(runner, url, "restore", "item", "22", "--at", at, "--yes")
    book = "public.book" if sqlite_or_pg_backend == "postgresql" else "book"  # the tables as chrono names them
    assert single.exit_code == 6 and f"item 22 was an object of {book} (its versions are there)" in single.stderr, \
        single.output
    assert f"hint: chrono restore {book} 22 re-creates the whole object" in single.stderr
    assert checksum(url) == untouched
    plan = _restored(url, "item", at, at, None)
    assert isinstance(plan, BulkPlan)
    assert sorted((r.key, r.current is None) for r in plan.rows) == [((20,), False), ((21,), False)]
    assert plan.skipped == {f"of {book} objects deleted since (chrono restore {book} re-creates them whole)": 1}
    _one_by_one(twin, "item", at, None, [(20,), (21,)])  # the same, the skipped object left out
    assert _database(url) == _database(twin)
    assert rows(url, "book", id=22) == [] and rows(url, "item", id=22) == []
    again = _restored(url, "book", at, None, _keys(tmp_path, ["22"]))
    assert isinstance(again, BulkPlan) and [(r.key, r.current) for r in again.rows] == [((22,), None)]
    assert [(r["title"], r["kind"]) for r in rows(url, "item", id=22)] == [("Emma", "book")]
    assert [r["isbn"] for r in rows(url, "book", id=22)] == ["978-0141439587"]


def _keys(tmp_path: Path, listed: list[str]) -> Path:
    keys = tmp_path / "keys.txt"
    keys.write_text("\n".join(listed) + "\n")
    return keys


ONLY = [("book", 2, ("title",)), ("book", 1, ("isbn",)), ("book", 0, ("title", "isbn")), ("item", 0, ("title",))]


@pytest.mark.parametrize(("table", "at_step", "only"), ONLY, ids=[f"{t}-at{n}-{'+'.join(o)}" for t, n, o in ONLY])
def test_only_some_columns_set_based_as_one_by_one(sqlite_or_pg_backend: str, story_clone: StoryClone,
                                                   tmp_path: Path, table: str, at_step: int,
                                                   only: tuple[str, ...]) -> None:
    """``--only``: each table's named columns restored, a table with none of them versioned only, both ways alike."""
    url, before, plan, _ = _both_ways(story_clone, sqlite_or_pg_backend, (), tmp_path, table, at_step, at_step, None,
                                      True, only)
    assert isinstance(plan, BulkPlan) and _database(url) != before
    assert {d["column"] for r in plan.to_json()["rows"] for d in r["diff"]} <= set(only)


def test_only_cannot_re_create_a_deleted_object(sqlite_or_pg_backend: str, story_clone: StoryClone) -> None:
    """Book 22, deleted since, needs every column to be re-created: ``--only`` refuses the restore, nothing
    written (a single restore refuses it too)."""
    url, record = support_clone(story_clone, sqlite_or_pg_backend, *STORY)
    at = record["joined"][3]["finished"]
    untouched = checksum(url)
    with pytest.raises(Refused, match="22 is deleted and cannot be re-created: --only cannot re-create"):
        _restored(url, "book", at, at, None, ("title",))
    with pytest.raises(UsageError, match="--only: nope is not a restorable column of .*book"):
        _restored(url, "book", at, at, None, ("nope",))
    assert checksum(url) == untouched


def test_a_deleted_object_whose_key_another_class_holds_now_is_not_re_created(
        runner: CliRunner, sqlite_or_pg_backend: str, story_clone: StoryClone) -> None:
    """Book 22 deleted, then its key taken by a plain item (written here outside Continuum): re-creating book 22
    would write over that item's row. The single restore refuses it (it had failed on the database's unique key),
    the bulk restore skips it and says so, nothing of either written; restoring ``item`` 22 is refused alone and
    skipped in bulk (a book then, a plain item now: its class would change)."""
    url, record = support_clone(story_clone, sqlite_or_pg_backend, *STORY)
    execute(url, "INSERT INTO item (id, kind, title) VALUES (22, 'item', 'Reused')")
    at = record["joined"][3]["finished"]  # book 22 just inserted
    untouched = checksum(url)
    single = chrono(runner, url, "restore", "book", "22", "--at", at, "--yes")
    assert single.exit_code == 6 and "cannot be re-created: " in single.stderr and \
        "item 22 exists, an object of another class holds the key now" in single.stderr, single.output
    assert checksum(url) == untouched
    plan = _restored(url, "book", at, at, None)
    assert isinstance(plan, BulkPlan) and [r.key for r in plan.rows] == [(20,)]
    assert plan.skipped == {"deleted, each key now held by an object of another class": 1}
    assert [(r["kind"], r["title"]) for r in rows(url, "item", id=22)] == [("item", "Reused")]
    # from the root table: item 22 was a book then and is a plain item now (restoring it would change its class)
    alone = chrono(runner, url, "restore", "item", "22", "--at", at, "--yes")
    assert alone.exit_code == 6 and "item 22 was an object of " in alone.stderr and \
        "restoring its " in alone.stderr and "row alone would leave it half of each" in alone.stderr, alone.output
    roots = _restored(url, "item", at, at, None)
    assert isinstance(roots, BulkPlan) and [r.key for r in roots.rows] == [(21,)]  # 20 restored just above
    assert roots.skipped == {"of objects whose class changed over their history (a single restore of one says how)": 1,
                             "already in that state": 1}
    assert [(r["kind"], r["title"]) for r in rows(url, "item", id=22)] == [("item", "Reused")]


def test_the_one_by_one_path_reports_each_object(sqlite_or_pg_backend: str, story_clone: StoryClone) -> None:
    """Where the set-based restore cannot write what a single restore writes (a table keyed under other names
    than its ancestor's, tables that disagree), the objects go one by one (services/bulk_objects.py), each heard of
    as the CLI's progress bar hears it: book 20 restored, book 22 created later (skipped)."""
    url, record = support_clone(story_clone, sqlite_or_pg_backend, *STORY)
    at = record["joined"][2]["finished"]
    heard: list[tuple[str, int, int]] = []
    plan = _one_by_one(url, "book", at, at, [], progress=lambda *a: heard.append(a))
    assert [(i["action"], i["key"]["id"]) for i in plan.to_json()["items"]] == [("restore", 20)]
    assert heard == [("planning objects", n, 2) for n in range(2)] + [("writing", 0, 1)]
    assert [r["title"] for r in rows(url, "item", id=20)] == ["Dune (1965)"]
