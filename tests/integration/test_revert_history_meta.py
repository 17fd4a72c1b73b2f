"""``chrono revert`` on tables versioned by SQLAlchemy's history_meta example, checked through the example."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from chrono_cli.config import Config
from chrono_cli.model import Op
from chrono_cli.services.changes import list_changes
from chrono_cli.services.workspace import Settings, Workspace
from tests.conftest import StoryClone
from tests.integration.restore_support import (
    checksum,
    chrono,
    dsn,
    history_meta_clone,
    python_hook,
    revert_both_ways,
    reverts_agree,
    rows,
    write_config,
)
from tests.integration.test_restore_history_meta import history_of, sessions, state
from tests.support.stories import history_meta_models, history_meta_story


def _changesets(runner: CliRunner, url: str) -> list[dict[str, Any]]:
    listed = chrono(runner, url, "-f", "json", "changes", "appuser", "-n", "50", "--window", "0")
    assert listed.exit_code == 0, listed.output
    return list(json.loads(listed.stdout)["changesets"])


def _find(sets: list[dict[str, Any]], key: int, op: str, columns: set[str]) -> str:
    for cs in sets:
        for c in cs["changes"]:
            if c["key"] == {"id": key} and c["operation"] == op and {x["column"] for x in c["changes"]} >= columns:
                return str(cs["id"])
    raise AssertionError(f"no {op} of appuser {key}")


def test_revert_an_update_and_a_delete(runner: CliRunner, backend: str, story_clone: StoryClone) -> None:
    db_url, rec = history_meta_clone(story_clone, backend)
    one = rec["timelines"]["appuser"][1]
    two = rec["timelines"]["appuser"][2]
    cols = list(one[0]["state"])
    sets = _changesets(runner, db_url)
    assert all(not cs["exact"] for cs in sets)

    # step 10 changed email and name of user 1; step 15 changed it again: refused without --force
    older = _find(sets, 1, "update", {"email", "name"})
    untouched = checksum(db_url)
    refused = chrono(runner, db_url, "revert", older, "--window", "0", "--yes")
    assert refused.exit_code == 6 and "1 later change would be overwritten" in refused.stderr
    assert checksum(db_url) == untouched

    # the newest change of user 1 (step 15): back to the state after step 10
    newest = _find(sets, 1, "update", {"balance", "role"})
    done = chrono(runner, db_url, "revert", newest, "--window", "0", "--yes")
    assert done.exit_code == 0, done.output
    assert "history-meta records no inserts" in done.stderr
    # the deletion of user 2 (step 11): re-inserted
    deleted = _find(sets, 2, "delete", set())
    assert chrono(runner, db_url, "revert", deleted, "--window", "0", "--yes").exit_code == 0

    m = history_meta_models()
    engine, factory = sessions(db_url)
    try:
        with factory() as s:
            user = s.get(m.AppUser, 1)
            assert state(user, cols) == one[-2]["state"]
            assert state(history_of(s, m.AppUser, 1)[-1], cols) == one[-1]["state"]  # the reverted state is kept
            back = s.get(m.AppUser, 2)
            assert state(back, cols) == two[-2]["state"]
            user.name, back.name = "next", "next"  # the library's next ordinary updates
            s.commit()
            assert [h.version for h in history_of(s, m.AppUser, 2)] == [1, 2, 3]
    finally:
        engine.dispose()


def test_inferred_sets_revert_set_based_as_row_by_row(runner: CliRunner, backend: str, story_clone: StoryClone,
                                                      tmp_path: Path) -> None:
    """Every change set, one change each (window 0) and chained (2 minutes): planned set-based (the
    single-table-inheritance employees too, their subclass columns, which the history never records, kept) with the
    row-by-row revert's report and rows; the four changes of appuser 1, 2 and 3 then written both ways, alike."""
    url, _ = history_meta_clone(story_clone, backend)
    ws = Workspace(Settings(url, (), Config()))
    try:
        for window in (0, 120):
            for cs in list_changes(ws, limit=50, window=window).changesets:
                assert reverts_agree(ws, cs.id, window) is not None, cs.id
        (chained,) = [cs for cs in list_changes(ws, limit=50, window=120).changesets
                      if {c.table.name for c in cs.changes} == {"appuser"}]
    finally:
        ws.close()

    other, _ = history_meta_clone(story_clone, backend)
    done = revert_both_ways(runner, url, other, chained.id, tmp_path, ["appuser", "appuser_history"], "changed")
    doc = json.loads(done.stdout)
    assert (doc["undelete"], doc["restore"], doc["delete"]) == (1, 2, 0)


def test_a_set_among_close_changes_reverts_set_based_as_row_by_row(sqlite_or_pg_backend: str,
                                                                   story_clone: StoryClone) -> None:
    """The story's changes half a millisecond apart, each its own set (window 0; ids with microseconds where two
    end in one millisecond): a set's span then holds other sets' history rows, of its own keys too, which are
    neither its versions nor the state before it."""
    url, _ = story_clone(sqlite_or_pg_backend, "history_meta gap 500us",
                         lambda u: history_meta_story(u, gap=timedelta(microseconds=500)))
    ws = Workspace(Settings(url, (), Config()))
    try:
        sets = list_changes(ws, limit=50, window=0).changesets
        assert any("." in cs.id for cs in sets)  # sets ending in one millisecond
        for cs in sets:
            assert reverts_agree(ws, cs.id, 0) is not None, cs.id
    finally:
        ws.close()


def test_quick_restores_of_an_inferred_set_are_planned_by_the_database(runner: CliRunner, backend: str,
                                                                       story_clone: StoryClone,
                                                                       tmp_path: Path) -> None:
    """Sets that changed each key once, with nothing since (the newest update of a user), are planned in SQL
    (shapes/undo_plan.py) where the values compare there (not SQLite's decimals and times), the others in Python;
    both as the row-by-row revert plans them. The plan lists the same rows after the write (the state the set left
    is then the history row the write added), and the write ends as the row-by-row one."""
    url, _ = history_meta_clone(story_clone, backend)
    ws = Workspace(Settings(url, (), Config()))
    try:
        sets = [cs for cs in list_changes(ws, limit=50, window=0).changesets
                if all(c.table.name == "appuser" for c in cs.changes)]
        planned = {cs.id: reverts_agree(ws, cs.id, 0) for cs in sets}
    finally:
        ws.close()
    newest: dict[Any, Any] = {}
    for cs in sets:  # newest first
        newest.setdefault(cs.changes[0].key, cs)
    updated = {cs.id for cs in newest.values() if cs.changes[0].op is Op.UPDATE}
    quick = {ident for ident, plan in planned.items() if plan is not None and plan.parts[0].quick is not None}
    assert len(updated) == 2 and quick == (set() if backend == "sqlite" else updated)
    if not quick:
        return

    ident = sorted(quick)[0]
    dry = chrono(runner, url, "-f", "json", "revert", ident, "--window", "0", "--dry-run")
    assert dry.exit_code == 0, dry.output
    other, _ = history_meta_clone(story_clone, backend)
    done = revert_both_ways(runner, url, other, ident, tmp_path, ["appuser", "appuser_history"], "changed")
    assert json.loads(done.stdout)["items"] == json.loads(dry.stdout)["items"]
    assert json.loads(dry.stdout)["items"][0]["diff"]




def test_the_json_document_of_a_written_revert_is_the_plan_it_wrote(runner: CliRunner, story_clone: StoryClone,
                                                                    tmp_path: Path) -> None:
    """``-f json`` after a set-based write prints the rows as the plan read them before the write, not as a second
    reading of the store finds them afterwards. That reading was refused after the commit (the data written, the
    document lost) whenever the revert's own history row carried one of the set's times: a write in the second of
    the set on MariaDB, whose DATETIME keeps whole seconds. The after_commit hook stamps it so here."""
    url, _ = history_meta_clone(story_clone, "postgresql")  # planned in SQL there
    ws = Workspace(Settings(url, (), Config()))
    try:
        newest = next(cs for cs in list_changes(ws, limit=50, window=0).changesets
                      if len(cs.changes) == 1 and cs.changes[0].table.name == "appuser"
                      and cs.changes[0].op is Op.UPDATE)
        plan = reverts_agree(ws, newest.id, 0)
    finally:
        ws.close()
    assert plan is not None and plan.parts[0].quick is not None
    key = newest.changes[0].key.items[0][1]
    hook = python_hook(tmp_path / "stamp.py", f"""
import psycopg2
conn = psycopg2.connect({dsn(url)!r})
with conn, conn.cursor() as cur:  # the revert's history row (the newest) takes the set's time (the one before it)
    cur.execute("UPDATE appuser_history SET changed = (SELECT changed FROM appuser_history WHERE id = %(k)s "
                "ORDER BY version DESC OFFSET 1 LIMIT 1) WHERE id = %(k)s AND version = "
                "(SELECT max(version) FROM appuser_history WHERE id = %(k)s)", {{"k": {key!r}}})
    assert cur.rowcount == 1
""")
    dry = chrono(runner, url, "-f", "json", "revert", newest.id, "--window", "0", "--dry-run")
    assert dry.exit_code == 0, dry.output
    done = chrono(runner, url, "-f", "json", "revert", newest.id, "--window", "0", "--force", "--yes",
                  config=write_config(tmp_path / "chrono.toml", after_commit=hook))
    assert done.exit_code == 0, done.output
    assert "warning" not in done.stderr
    assert json.loads(done.stdout)["items"] == json.loads(dry.stdout)["items"]


def test_a_single_table_inheritance_set_reverts_set_based_keeping_subclass_columns(
        runner: CliRunner, sqlite_or_pg_backend: str, story_clone: StoryClone, tmp_path: Path) -> None:
    """Manager 2's last update (name and budget): set-based as row by row, the name restored, the budget (a subclass
    column history_meta appends to the history but never writes) kept, and NULL in the history row written."""
    url, _ = history_meta_clone(story_clone, sqlite_or_pg_backend)
    listed = chrono(runner, url, "-f", "json", "changes", "employee", "-n", "50", "--window", "0")
    assert listed.exit_code == 0, listed.output
    (last,) = [cs["id"] for cs in json.loads(listed.stdout)["changesets"]
               if any(c["key"] == {"id": 2} and {x["column"] for x in c["changes"]} >= {"name"} for c in cs["changes"])]
    other, _ = history_meta_clone(story_clone, sqlite_or_pg_backend)
    done = revert_both_ways(runner, url, other, last, tmp_path, ["employee", "employee_history"], "changed")
    assert [(i["action"], i["diff"]) for i in json.loads(done.stdout)["items"]] == [
        ("restore", [{"column": "name", "old": "Grace H.", "new": "Grace"}])]
    assert [(r["name"], r["budget"]) for r in rows(url, "employee_history", id=2)][-1] == ("Grace H.", None)
    m = history_meta_models()
    engine, factory = sessions(url)
    try:
        with factory() as s:
            manager = s.get(m.Employee, 2)
            assert (manager.name, manager.budget) == ("Grace", Decimal("0.00"))
            manager.name = "next"  # the library's next ordinary update
            s.commit()
            assert [h.version for h in history_of(s, m.Employee, 2)] == [1, 2, 3, 4]
    finally:
        engine.dispose()
