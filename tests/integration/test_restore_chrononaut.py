"""Restore and undelete on databases written by Chrononaut itself (fixtures chrononaut_02 and chrononaut_04).

The rows chrono writes are compared, column by column, with what the library wrote for an ordinary update
in the same fixture: the same columns filled, the same JSON key sets and encodings, the same time
conventions. Where the fixture's virtualenv exists, the real library then makes its next update and
reads the history back through its own API.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from chrono_cli.config import Config
from chrono_cli.services.changes import list_changes
from chrono_cli.services.workspace import Settings, Workspace
from tests.integration.restore_support import checksum, chrono, load_fixture, reverts_agree, rows, run_library


def filled(row: dict[str, Any]) -> set[str]:
    return {k for k, v in row.items() if v is not None}


def test_layout_a_restore_writes_what_chrononaut_writes(runner, pg_url: str) -> None:
    load_fixture(pg_url, "chrononaut_02")
    before = rows(pg_url, "appuser_history", order_by="version", id=1)
    live = rows(pg_url, "appuser", id=1)[0]
    result = chrono(runner, pg_url, "restore", "appuser", "1", "--version", "1", "--reason", "undo the cleanup",
                    "--actor", "ops@example.com", "--yes", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "kept: password" in result.stderr and "kept: last_seen" in result.stderr
    after = rows(pg_url, "appuser_history", order_by="version", id=1)
    assert len(after) == len(before) + 1
    new, lib = after[-1], before[0]  # lib: the library's row for "name change after marriage"
    assert filled(new) == filled(lib) and set(new) == set(lib)
    assert set(new["change_info"]) == set(lib["change_info"]) == {"user_id", "remote_addr", "extra"}
    assert new["change_info"] == {"user_id": "ops@example.com", "remote_addr": None,
                                  "extra": {"rationale": "undo the cleanup"}}
    assert new["changed"].utcoffset() == timedelta(0) and new["changed"] > max(r["changed"] for r in before)
    # the pre-restore state is the new history row, under the live row's old version
    assert new["version"] == live["version"] == 5
    assert {k: new[k] for k in ("id", "email", "name", "created")} == {k: live[k] for k in ("id", "email", "name",
                                                                                            "created")}
    now = rows(pg_url, "appuser", id=1)[0]
    assert now["version"] == 6
    assert (now["email"], now["name"]) == (before[1]["email"], before[1]["name"])
    assert (now["password"], now["last_seen"]) == (live["password"], live["last_seen"])  # hidden, untracked: kept
    shown = json.loads(chrono(runner, pg_url, "-f", "json", "history", "appuser", "1").stdout)["versions"]
    assert (shown[-1]["actor"], shown[-1]["reason"]) == ("ops@example.com", "undo the cleanup")

    library = run_library("chrononaut_02", pg_url, """
with app_mod.acting_as("admin@example.com", "203.0.113.10"):
    user = app_mod.User.query.get(1)
    user.name = "Ada, Countess of Lovelace"
    app_mod.db.session.commit()
with app_mod.app.app_context():
    print(json.dumps(app_mod.describe(app_mod.User, 1), default=str))
""")
    assert [v["version"] for v in library["versions"]] == [0, 1, 2, 3, 4, 5, 6, 7]
    assert library["versions"][6]["values"]["name"] == before[1]["name"]  # the restored state, versioned
    assert library["current_row"]["version"] == 7


def test_layout_a_undelete_continues_numbering(runner, pg_url: str) -> None:
    load_fixture(pg_url, "chrononaut_02")
    history = rows(pg_url, "appuser_history", order_by="version", id=2)
    result = chrono(runner, pg_url, "restore", "appuser", "2", "--yes", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert rows(pg_url, "appuser_history", order_by="version", id=2) == history  # an insert writes no history
    row = rows(pg_url, "appuser", id=2)[0]
    assert row["version"] == 2 and row["name"] == history[-1]["name"] and row["password"] is None
    library = run_library("chrononaut_02", pg_url, """
with app_mod.acting_as("admin@example.com", "203.0.113.10"):
    user = app_mod.User.query.get(2)
    user.name = "Bob Smith"
    app_mod.db.session.commit()
with app_mod.app.app_context():
    print(json.dumps(app_mod.describe(app_mod.User, 2), default=str))
""")
    assert [v["version"] for v in library["versions"]] == [0, 1, 2, 3]  # no (id, version) collision


def test_layout_b_restore_writes_what_chrononaut_writes(runner, pg_url: str) -> None:
    load_fixture(pg_url, "chrononaut_04")
    before = rows(pg_url, "chrononaut_activity", order_by="id")
    v4 = next(r for r in before if r["key"] == {"id": 1} and r["version"] == 4)
    lib = next(r for r in before if r["key"] == {"id": 1} and r["version"] == 7)  # the library's last update
    result = chrono(runner, pg_url, "restore", "appuser", "1", "--version", "4", "--actor", "admin@example.com",
                    "--reason", "back to the top-up", "--yes", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    after = rows(pg_url, "chrononaut_activity", order_by="id")
    assert after[:-1] == before
    new = after[-1]
    assert filled(new) == filled(lib) and set(new) == set(lib)
    assert (new["table_name"], new["key"], new["version"]) == ("appuser", {"id": 1}, 8)
    assert set(new["data"]) == set(lib["data"])
    assert {k: type(v) for k, v in new["data"].items()} == {k: type(v) for k, v in lib["data"].items()}
    for attr in ("role", "prefs", "created", "last_login", "email", "id"):  # unchanged: byte for byte the same
        assert new["data"][attr] == lib["data"][attr], attr
    assert new["data"] == {**v4["data"], "balance": "25.00", "version": 8}  # v4 stored the assigned Decimal("25")
    assert set(new["user_info"]) == set(lib["user_info"])
    assert new["user_info"] == {"user_id": "admin@example.com", "remote_addr": None}
    assert new["extra_info"] == {"rationale": "back to the top-up"}
    assert new["changed"].utcoffset() == timedelta(0) and new["changed"] > lib["changed"]
    base = rows(pg_url, "appuser", id=1)[0]
    assert (base["version"], base["name"], base["nick_name"], base["balance"]) == (8, "Ada Byron", "ada",
                                                                                   Decimal("25.00"))
    shown = json.loads(chrono(runner, pg_url, "-f", "json", "history", "appuser", "1").stdout)["versions"]
    assert shown[-1]["current"] and shown[-1]["operation"] == "update" and shown[-1]["version"] == 8

    library = run_library("chrononaut_04", pg_url, """
with app_mod.acting_as("admin@example.com", "203.0.113.10"):
    user = app_mod.User.query.get(1)
    user.name = "Ada Lovelace"
    app_mod.db.session.commit()
with app_mod.app.app_context():
    print(json.dumps(app_mod.describe(1), default=str))
""")
    assert [v["version"] for v in library["versions"]] == list(range(10))
    assert library["versions"][8]["data"]["name"] == "Ada Byron"
    changes = library["diffs"][-1]["changes"]
    assert changes["name"] == ["Ada Byron", "Ada Lovelace"]


def test_layout_b_undelete_writes_an_insert_row(runner, pg_url: str) -> None:
    load_fixture(pg_url, "chrononaut_04")
    inserted = next(r for r in rows(pg_url, "chrononaut_activity", order_by="id")
                    if r["key"] == {"id": 3} and r["version"] == 0)
    result = chrono(runner, pg_url, "restore", "appuser", "3", "--actor", "support@example.com", "--yes",
                    catch_exceptions=False)
    assert result.exit_code == 0, result.output
    new = rows(pg_url, "chrononaut_activity", order_by="id")[-1]
    assert new["data"] == inserted["data"]  # the very row Chrononaut wrote when it inserted Carol
    assert (new["version"], new["key"]) == (0, {"id": 3})
    assert rows(pg_url, "appuser", id=3)[0]["version"] == 0
    shown = json.loads(chrono(runner, pg_url, "-f", "json", "history", "appuser", "3").stdout)["versions"]
    assert [v["operation"] for v in shown] == ["insert", "delete", "insert"]


def test_layout_b_refuses_when_live_row_bypassed_the_library(runner, pg_url: str) -> None:
    load_fixture(pg_url, "chrononaut_04")
    from sqlalchemy import create_engine, text

    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE appuser SET name = 'raw SQL' WHERE id = 1"))
    engine.dispose()
    same = checksum(pg_url)
    result = chrono(runner, pg_url, "restore", "appuser", "1", "--version", "4", "--yes")
    assert result.exit_code == 6
    assert "bypassed Chrononaut" in result.stderr
    assert checksum(pg_url) == same


@pytest.mark.parametrize("fixture", ["chrononaut_02", "chrononaut_04"])
def test_restore_plan_is_undoable(runner, pg_url: str, fixture: str) -> None:
    load_fixture(pg_url, fixture)
    original = rows(pg_url, "appuser", id=1)[0]
    first = chrono(runner, pg_url, "-f", "json", "restore", "appuser", "1", "--version", "#2", "--yes")
    assert first.exit_code == 0, first.output
    shown = json.loads(chrono(runner, pg_url, "-f", "json", "history", "appuser", "1").stdout)["versions"]
    undo = chrono(runner, pg_url, "restore", "appuser", "1", "--version", f"#{shown[-2]['seq']}", "--yes")
    assert undo.exit_code == 0, undo.output
    now = rows(pg_url, "appuser", id=1)[0]
    assert {k: v for k, v in now.items() if k != "version"} == {k: v for k, v in original.items() if k != "version"}


def test_layout_a_inferred_sets_revert_set_based_as_row_by_row(pg_url: str) -> None:
    """Every change set of the 0.2 fixture, one change each (window 0) and grouped by actor (5 s): planned
    set-based, with the row-by-row revert's report, rows and notes."""
    load_fixture(pg_url, "chrononaut_02")
    ws = Workspace(Settings(pg_url, (), Config()))
    try:
        for window in (0, 5):
            sets = list_changes(ws, limit=50, window=window).changesets
            assert sets and (window == 0 or any(len(cs.changes) > 1 for cs in sets))
            for cs in sets:
                assert reverts_agree(ws, cs.id, window) is not None, cs.id
    finally:
        ws.close()
