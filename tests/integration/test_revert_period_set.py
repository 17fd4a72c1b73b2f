"""Set-based ``chrono revert`` on the period stores: the periods extension (the real one, Debian's
postgresql-15-periods), temporal_tables (the suite's ``versioning()`` trigger, tests/support/period_stories.py) and
MariaDB's own system versioning (a timestamp table).

One change set updates, inserts and deletes rows of ``item`` in one transaction (MariaDB: one statement time); a
later transaction changes one of its rows again. The revert is planned set-based and as the row-by-row revert plans
it (``reverts_agree``), then written through the CLI and read back through the store's own reading: the history
table (or ``FOR SYSTEM_TIME ALL``) holds the set's states, archived by the triggers (the server) when the revert
replaced them, and the live rows are those before the set.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from chrono_cli.config import Config
from chrono_cli.model import Op
from chrono_cli.services.changes import list_changes
from chrono_cli.services.workspace import Settings, Workspace
from tests.conftest import StoryClone
from tests.integration.restore_support import chrono, revert_row_by_row, reverts_agree
from tests.integration.test_period_conventions import _clone as clone_story
from tests.support.mariadb_versioning_story import mariadb_versioning_story
from tests.support.period_stories import VERSIONING_FUNCTION

SETUP = {
    "periods": ("CREATE EXTENSION IF NOT EXISTS periods CASCADE",
                "CREATE TABLE item (id integer PRIMARY KEY, name text NOT NULL, qty integer)",
                "SELECT periods.add_system_time_period('item')",
                "SELECT periods.add_system_versioning('item')"),
    "temporal-tables": (VERSIONING_FUNCTION,
                        "CREATE TABLE item (id integer PRIMARY KEY, name text NOT NULL, qty integer, "
                        "sys_period tstzrange NOT NULL DEFAULT tstzrange(now(), NULL))",
                        "CREATE TABLE item_history (LIKE item)",
                        "CREATE TRIGGER versioning_trigger BEFORE INSERT OR UPDATE OR DELETE ON item FOR EACH ROW "
                        "EXECUTE PROCEDURE versioning('sys_period', 'item_history', true)"),
    "mariadb": ("CREATE TABLE item (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, qty INT NULL) "
                "WITH SYSTEM VERSIONING",),
}
# the store's own reading of every state: (id, name, qty, start, end), oldest first per key
HISTORY = {
    "periods": "SELECT id, name, qty, system_time_start, system_time_end FROM item_with_history "
               "ORDER BY id, system_time_start",
    "temporal-tables": "SELECT id, name, qty, lower(sys_period), upper(sys_period) FROM item_history UNION ALL "
                       "SELECT id, name, qty, lower(sys_period), upper(sys_period) FROM item ORDER BY 1, 4",
    "mariadb": "SELECT id, name, qty, ROW_START, ROW_END FROM item FOR SYSTEM_TIME ALL ORDER BY id, ROW_START",
}
BEFORE = [(1, "one", 1), (2, "two", None), (3, "three", 3), (4, "four", 4), (5, "five", 5), (6, "six", 6)]
THE_SET = ("UPDATE item SET name = 'one b', qty = 10 WHERE id = 1", "UPDATE item SET qty = 20 WHERE id = 2",
           "UPDATE item SET name = 'three b' WHERE id = 3", "INSERT INTO item (id, name, qty) VALUES (7, 'seven', 7)",
           "DELETE FROM item WHERE id IN (4, 5)")
LATER = ("UPDATE item SET qty = 30 WHERE id = 3",)


@pytest.fixture(params=list(SETUP))
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _transactions(url: str, store: str) -> None:
    """The setup, the rows, the change set, a later change: each its own transaction (MariaDB: its own statement
    time, ``SET timestamp``, so the set's statements share one, as a transaction's do in PostgreSQL)."""
    engine = create_engine(url)
    rows = ", ".join(f"({i}, '{n}', {'NULL' if q is None else q})" for i, n, q in BEFORE)
    start = time.time() - 10  # MariaDB: statement times in the past, a second apart
    try:
        for n, step in enumerate((SETUP[store], (f"INSERT INTO item (id, name, qty) VALUES {rows}",), THE_SET, LATER)):
            with engine.begin() as conn:
                if store == "mariadb":
                    conn.execute(text("SET timestamp = :t"), {"t": start + n})
                else:
                    time.sleep(0.003)  # an inferred set's id names a millisecond: one transaction each
                for statement in step:
                    conn.exec_driver_sql(statement.replace("%", "%%"))
                if store == "mariadb":
                    conn.execute(text("SET timestamp = DEFAULT"))
    finally:
        engine.dispose()


def _read(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def _states(url: str, store: str) -> dict[int, list[tuple[Any, ...]]]:
    """Each key's states as the store reads them: (name, qty), oldest first."""
    out: dict[int, list[tuple[Any, ...]]] = {}
    for row in _read(url, HISTORY[store]):
        out.setdefault(row[0], []).append((row[1], row[2]))
    return out


@pytest.fixture
def url(store: str, request: pytest.FixtureRequest) -> str:
    found: str = request.getfixturevalue("mysql_url" if store == "mariadb" else "pg_url")
    _transactions(found, store)
    return found


def _the_set(ws: Workspace) -> Any:
    (found,) = [cs for cs in list_changes(ws, limit=20, window=0).changesets
                if {(dict(c.key.items)["id"], c.op.value) for c in cs.changes} >= {(4, "delete"), (7, "insert")}]
    return found


def test_a_set_of_updates_inserts_and_deletes_reverts_set_based(store: str, url: str, runner: CliRunner) -> None:
    ws = Workspace(Settings(url, (), Config()))
    try:
        cs = _the_set(ws)
        assert not cs.exact and len(cs.changes) == 6
        plan = reverts_agree(ws, cs.id, 0)
        assert plan is not None  # planned set-based, as the row-by-row revert plans it
        actions = {i["key"]["id"]: i["action"] for p in plan.parts for i in p.items()}
        assert actions == {1: "restore", 2: "restore", 3: "restore", 4: "undelete", 5: "undelete", 7: "delete"}
        assert [(c.key["id"], "changed again" in c.message) for c in plan.conflicts] == [(3, True)]
        states = _states(url, store)
    finally:
        ws.close()

    refused = chrono(runner, url, "revert", cs.id, "--window", "0", "--yes")
    assert refused.exit_code == 6 and "1 later change would be overwritten" in refused.stderr
    assert _states(url, store) == states  # nothing written
    done = chrono(runner, url, "-f", "json", "revert", cs.id, "--window", "0", "--force", "--yes")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["set_based"] is True

    after = _states(url, store)
    live = _read(url, "SELECT id, name, qty FROM item ORDER BY id")
    assert live == BEFORE  # 7 deleted, 4 and 5 back, 1 to 3 as before the set
    # the set's states and the later one stay, archived by the store when the revert replaced them
    assert after[1] == [("one", 1), ("one b", 10), ("one", 1)]
    assert after[3] == [("three", 3), ("three b", 3), ("three b", 30), ("three", 3)]
    assert after[4] == [("four", 4), ("four", 4)]  # deleted, then re-created: two periods with a gap
    assert after[7] == [("seven", 7)]
    assert after[6] == [("six", 6)]  # untouched


def test_a_row_deleted_by_the_set_and_re_created_since_is_a_conflict(store: str, url: str,
                                                                     runner: CliRunner) -> None:
    """A later change of a row the set deleted (re-created, then deleted again: gone now) is found by its periods
    after the deletion, as the row-by-row reading finds it."""
    _run(url, store, ("INSERT INTO item (id, name, qty) VALUES (4, 'four again', 44)",), 4)
    _run(url, store, ("DELETE FROM item WHERE id = 4",), 5)
    ws = Workspace(Settings(url, (), Config()))
    try:
        plan = reverts_agree(ws, _the_set(ws).id, 0)
        assert plan is not None
        assert sorted(c.key["id"] for c in plan.conflicts) == [3, 4, 4]
    finally:
        ws.close()


def _run(url: str, store: str, statements: tuple[str, ...], step: int) -> None:
    """More statements in their own transaction (MariaDB: at the ``step``-th second after the story's start)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if store == "mariadb":
                first = _read(url, "SELECT MIN(UNIX_TIMESTAMP(ROW_START)) FROM item FOR SYSTEM_TIME ALL")[0][0]
                conn.execute(text("SET timestamp = :t"), {"t": float(first) + step - 1})
            else:
                time.sleep(0.003)
            for statement in statements:
                conn.exec_driver_sql(statement)
            if store == "mariadb":
                conn.execute(text("SET timestamp = DEFAULT"))
    finally:
        engine.dispose()



@pytest.mark.parametrize("story", ["periods", "temporal-tables"])
def test_every_set_of_the_period_stories_reverts_as_row_by_row(story: str, story_clone: StoryClone,
                                                               tmp_path: Path) -> None:
    """The period stories (re-created rows, two updates in one transaction, a column the history leaves out, a row
    gone at the end): every change set is listed light as it is listed whole, and planned set-based (a row the
    set-based plan cannot settle goes row by row) as the row-by-row revert plans it."""
    url, _ = clone_story(story_clone, story, tmp_path)  # the story test_period_conventions reads (one build)
    ws = Workspace(Settings(url, (), Config()))
    try:
        sets = list_changes(ws, limit=50, window=0).changesets
        planned = [reverts_agree(ws, cs.id, 0) for cs in sets]
    finally:
        ws.close()
    assert len(sets) >= 8 and all(plan is not None for plan in planned)


def test_every_set_of_the_mariadb_story_reverts_as_row_by_row(story_clone: StoryClone) -> None:
    """The MariaDB story's sets that change or delete rows (explicit and implicit periods, a partitioned history, a
    column WITHOUT SYSTEM VERSIONING, a no-op UPDATE, two updates of one row in one transaction, a key deleted and
    re-created): each is listed light as it is listed whole, and planned set-based as row by row."""
    url, _ = story_clone("mariadb", "mariadb_versioning_story", mariadb_versioning_story)
    ws = Workspace(Settings(url, (), Config()))
    try:
        sets = [cs for cs in list_changes(ws, limit=50, window=0).changesets
                if any(c.op is not Op.INSERT for c in cs.changes)]
        planned = [reverts_agree(ws, cs.id, 0) for cs in sets[:5] + sets[-3:]]  # memo, ledger, and appuser's oldest
    finally:
        ws.close()
    assert len(sets) >= 8 and all(plan is not None for plan in planned)


# a timestamp table with invisible explicit periods, a unique column and a column WITHOUT SYSTEM VERSIONING
GADGET = ("CREATE TABLE gadget (id INT PRIMARY KEY, code VARCHAR(10) NOT NULL UNIQUE, name VARCHAR(40) NOT NULL, "
          "note VARCHAR(40) WITHOUT SYSTEM VERSIONING, "
          "s TIMESTAMP(6) GENERATED ALWAYS AS ROW START INVISIBLE, "
          "e TIMESTAMP(6) GENERATED ALWAYS AS ROW END INVISIBLE, PERIOD FOR SYSTEM_TIME (s, e)) WITH SYSTEM VERSIONING")
GADGET_ROWS = ("INSERT INTO gadget (id, code, name, note) VALUES (1, 'c1', 'one', 'n1'), (2, 'c2', 'two', NULL), "
               "(3, 'c3', 'three', 'n3'), (4, 'c4', 'four', 'n4')")
# (the set: one statement time; later changes; planned in SQL, the states of gadget 3 after the revert)
GADGET_SETS = {
    "quick": ("UPDATE gadget SET name = CONCAT(name, ' b') WHERE id <= 3",
              ("UPDATE gadget SET note = 'later' WHERE id = 1",), True,
              [("c3", "three"), ("c3", "three b"), ("c3", "three")]),
    "unique-and-later": ("UPDATE gadget SET name = CONCAT(name, ' b'), code = CONCAT(code, 'x') WHERE id <= 3",
                         ("UPDATE gadget SET note = 'later' WHERE id = 1",
                          "UPDATE gadget SET name = 'three c' WHERE id = 3"),
                         False, [("c3", "three"), ("c3x", "three b"), ("c3x", "three c"), ("c3", "three")]),
}


def _gadgets(url: str, start: float, the_set: str, later: tuple[str, ...]) -> None:
    engine = create_engine(url)
    try:
        for n, step in enumerate(((GADGET,), (GADGET_ROWS,), (the_set,), later)):
            with engine.begin() as conn:
                conn.execute(text("SET timestamp = :t"), {"t": start + n})
                for statement in step:
                    conn.exec_driver_sql(statement)
                conn.execute(text("SET timestamp = DEFAULT"))
    finally:
        engine.dispose()


@pytest.mark.parametrize("case", list(GADGET_SETS))
def test_a_one_time_mariadb_set_reverts_set_based_as_row_by_row(case: str, databases: Any,
                                                                runner: CliRunner) -> None:
    """A set of updates with one statement time on a timestamp table: where every row is a plain restore it is
    planned in one SELECT (``versioning_undo_query``), else in Python (a unique column changed, a later change; the
    live rows taken from the window read); either way the plan is the row-by-row one (``reverts_agree``), and
    written set-based it leaves the live rows (the unversioned column as it is now) and every state of
    ``FOR SYSTEM_TIME ALL`` as the row-by-row revert of a twin leaves them."""
    statement, later, quick, gadget_3 = GADGET_SETS[case]
    url, twin = databases.empty("mariadb"), databases.empty("mariadb")
    start = time.time() - 10
    for where in (url, twin):
        _gadgets(where, start, statement, later)
    ws = Workspace(Settings(url, (), Config()))
    try:
        (the_set,) = [cs for cs in list_changes(ws, limit=20, window=0).changesets
                      if {dict(c.key.items)["id"] for c in cs.changes} == {1, 2, 3}
                      and all(c.op is Op.UPDATE for c in cs.changes)]
        plan = reverts_agree(ws, the_set.id, 0)
    finally:
        ws.close()
    assert plan is not None and (plan.parts[0].quick is not None) is quick

    done = chrono(runner, url, "-f", "json", "revert", the_set.id, "--window", "0", "--force", "--yes")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["set_based"] is True
    revert_row_by_row(twin, the_set.id, window=0)
    live = "SELECT id, code, name, note FROM gadget ORDER BY id"
    states = "SELECT id, code, name FROM gadget FOR SYSTEM_TIME ALL ORDER BY id, s"
    assert _read(url, live) == _read(twin, live) == [(1, "c1", "one", "later"), (2, "c2", "two", None),
                                                     (3, "c3", "three", "n3"), (4, "c4", "four", "n4")]
    assert _read(url, states) == _read(twin, states)
    assert [r[1:] for r in _read(url, states) if r[0] == 3] == gadget_3
