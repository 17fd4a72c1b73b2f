"""``chrono revert`` set-based, on a real SQLAlchemy-Continuum history of two tables joined by a foreign key
(tests/support/continuum_orders.py), read back by Continuum itself and compared with the row-by-row revert."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy_continuum  # noqa: F401  (a test-extra library: an import error fails the run)
from sqlalchemy import column, create_engine, insert, table
from typer.testing import CliRunner

from chrono_cli.config import Config
from chrono_cli.errors import Refused
from chrono_cli.services.changes import changeset_head
from chrono_cli.services.revert import plan_revert
from chrono_cli.services.revert_set import plan_set_revert
from chrono_cli.services.revert_set_write import apply_set_revert
from chrono_cli.services.workspace import Settings, Workspace
from tests.conftest import StoryClone
from tests.integration.restore_support import (
    checksum,
    chrono,
    python_hook,
    revert_both_ways,
    revert_row_by_row,
    reverts_agree,
    rows,
    run_support,
    support_clone,
    write_config,
)

STORY = "continuum_orders"


def _story(story_clone: StoryClone, backend: str) -> tuple[str, dict[str, int]]:
    url, record = support_clone(story_clone, backend, STORY)
    return url, record["tx"]


def _read(url: str, tmp_path: Path, *args: str) -> dict[str, Any]:
    return run_support(STORY, url, tmp_path, "--read", *args)


def _chains_hold(seen: dict[str, Any]) -> None:
    """Continuum's validity strategy: each version ends where the key's next one starts, the newest is open."""
    for name in ("customer", "purchase"):
        by_id: dict[int, list[dict[str, Any]]] = {}
        for v in seen[name]:
            by_id.setdefault(v["id"], []).append(v)
        for versions in by_id.values():
            assert [v["end"] for v in versions] == [v["tx"] for v in versions[1:]] + [None], versions


def test_a_two_table_change_set_is_reverted_set_based(runner: CliRunner, backend: str, story_clone: StoryClone,
                                                      tmp_path: Path) -> None:
    url, tx = _story(story_clone, backend)
    done = chrono(runner, url, "-f", "json", "revert", str(tx["import"]), "--yes")
    assert done.exit_code == 0, done.output
    doc = json.loads(done.stdout)
    assert doc["set_based"] is True
    assert sorted((i["table"].split(".")[-1], i["key"]["id"], i["action"]) for i in doc["items"]) == [
        ("customer", 2, "restore"), ("customer", 4, "delete"), ("purchase", 10, "restore"),
        ("purchase", 13, "undelete"), ("purchase", 14, "delete")]
    x = max(r["id"] for r in rows(url, "transaction"))
    assert x == tx["drop customer 5"] + 1  # one transaction row for both tables
    assert sorted(r["entity_name"] for r in rows(url, "transaction_changes", transaction_id=x)) == [
        "Customer", "Purchase"]
    assert rows(url, "transaction_meta", transaction_id=x)[0]["value"] == f"chrono revert: change set {tx['import']}"

    seen = _read(url, tmp_path, "--save", "10")
    _chains_hold(seen)
    assert [(c["id"], c["name"]) for c in seen["customer_live"]] == [(1, "Ann"), (2, "Bob"), (3, "Cyd")]
    assert [(p["id"], p["customer_id"], p["item"], p["qty"]) for p in seen["purchase_live"]] == [
        (10, 1, "pen", 2), (11, 1, "ink", 3), (12, 2, "pad", 3), (13, 3, "cap", 4)]  # 10: qty 1 back, then saved
    written = {(n, v["id"]): v for n in ("customer", "purchase") for v in seen[n] if v["tx"] == x}
    assert {k: v["op"] for k, v in written.items()} == {("customer", 2): 1, ("customer", 4): 2,
                                                        ("purchase", 10): 1, ("purchase", 13): 0,
                                                        ("purchase", 14): 2}
    assert written[("purchase", 14)]["item"] == "mug" and written[("customer", 4)]["name"] == "Dan"
    saved = [v for v in seen["purchase"] if v["id"] == 10][-1]
    assert saved["tx"] > x and saved["op"] == 1 and saved["qty"] == 2  # the library's next write follows chrono's

    again = chrono(runner, url, "revert", str(x), "--force", "--yes")  # the revert is a change set too
    assert again.exit_code == 0, again.output
    assert [r["id"] for r in rows(url, "purchase")] == [10, 11, 12, 14] and rows(url, "customer", id=4)


def test_set_based_and_row_by_row_reverts_agree(runner: CliRunner, sqlite_or_pg_backend: str,
                                                story_clone: StoryClone, tmp_path: Path) -> None:
    """Every change set of the story: the same conflicts, refusals, skips and rows, and the same writes."""
    url, tx = _story(story_clone, sqlite_or_pg_backend)
    ws = Workspace(Settings(url, (), Config()))
    try:
        for label, ident in tx.items():
            assert reverts_agree(ws, str(ident), 5.0) is not None, label
    finally:
        ws.close()

    other, _ = _story(story_clone, sqlite_or_pg_backend)
    assert revert_row_by_row(other, str(tx["import"]), force=False).items
    assert chrono(runner, url, "revert", str(tx["import"]), "--yes").exit_code == 0
    assert _read(url, tmp_path) == _read(other, tmp_path)


def test_later_changes_refuse_a_set_based_revert_unless_forced(runner: CliRunner, backend: str,
                                                               story_clone: StoryClone) -> None:
    url, tx = _story(story_clone, backend)
    untouched = checksum(url)
    refused = chrono(runner, url, "revert", str(tx["rename 3"]), "--yes")
    assert refused.exit_code == 6, refused.output
    assert "1 later change would be overwritten" in refused.stderr
    assert f"changed again after the change set: p3 (version {tx['rename 3 again']}) update" in refused.stderr
    dry = chrono(runner, url, "revert", str(tx["rename 3"]), "--dry-run")
    assert dry.exit_code == 6 and "set-based: 0 rows re-inserted, 1 restored, 0 deleted" in dry.stdout
    sql = chrono(runner, url, "revert", str(tx["rename 3"]), "--sql")
    assert sql.exit_code == 0 and "UPDATE " in sql.stdout and "FROM chrono_stage" in sql.stdout
    assert checksum(url) == untouched

    forced = chrono(runner, url, "revert", str(tx["rename 3"]), "--force", "--yes")
    assert forced.exit_code == 0, forced.output
    assert rows(url, "customer", id=3)[0]["name"] == "Cat"  # its state before the change set


def test_a_unique_key_taken_meanwhile_blocks_even_a_forced_set_based_revert(runner: CliRunner, backend: str,
                                                                           story_clone: StoryClone) -> None:
    url, tx = _story(story_clone, backend)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(table("customer", column("id"), column("name"), column("email")))
                     .values(id=9, name="Eva", email="eve@example.org"))
    engine.dispose()
    untouched = checksum(url)
    blocked = chrono(runner, url, "revert", str(tx["drop customer 5"]), "--force", "--yes")
    assert blocked.exit_code == 6, blocked.output
    assert "cannot be reverted" in blocked.stderr and "unique" in blocked.stderr and "id=9" in blocked.stderr
    assert checksum(url) == untouched


def test_foreign_keys_block_a_set_based_revert_as_row_by_row(runner: CliRunner, backend: str,
                                                             story_clone: StoryClone) -> None:
    """Outside the history: customer 3 deleted (purchase 13 cannot come back) and a purchase of customer 4 added
    (customer 4, which the change set created, cannot go): both refused, worded as the row-by-row revert words them."""
    url, tx = _story(story_clone, backend)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(table("customer", column("id")).delete().where(column("id") == 3))
        conn.execute(insert(table("purchase", column("id"), column("customer_id"), column("item"), column("qty")))
                     .values(id=15, customer_id=4, item="cup", qty=1))
    engine.dispose()
    ws = Workspace(Settings(url, (), Config()))
    try:
        head = changeset_head(ws, str(tx["import"]))
        assert head is not None
        fast = plan_set_revert(ws, head, force=True)
        slow = plan_revert(ws, str(tx["import"]), force=True)
        assert fast is not None and fast.blocked == slow.blocked and len(fast.blocked) == 2
    finally:
        ws.close()
    untouched = checksum(url)
    blocked = chrono(runner, url, "revert", str(tx["import"]), "--force", "--yes")
    assert blocked.exit_code == 6, blocked.output
    assert "foreign key" in blocked.stderr and "still referenced by" in blocked.stderr
    assert checksum(url) == untouched


def test_a_set_based_revert_is_refused_when_a_row_changed_since_its_plan(backend: str,
                                                                        story_clone: StoryClone) -> None:
    """The live rows are locked and compared with the plan before anything is written: a row to restore or to
    delete that changed in between refuses the whole revert; so does one of the rows the database planned (their
    fingerprints are compared)."""
    url, tx = _story(story_clone, backend)
    ws = Workspace(Settings(url, (), Config()))
    engine = create_engine(url)
    try:
        for label, counts, quick, edits in (
                ("import", (1, 2, 2), False, (("customer", 4, "name", "Dana"), ("purchase", 10, "qty", 7))),
                ("unrelated", (0, 1, 0), True, (("purchase", 11, "item", "nib"),))):
            head = changeset_head(ws, str(tx[label]))
            assert head is not None
            plan = plan_set_revert(ws, head)
            assert plan is not None and plan.counts() == counts
            assert all((p.quick is not None) == quick for p in plan.parts)
            for name, key, column_, value in edits:
                with engine.begin() as conn:
                    conn.execute(table(name, column("id"), column(column_)).update().where(column("id") == key)
                                 .values({column_: value}))
                untouched = checksum(url)
                with pytest.raises(Refused, match=f"1 rows of .*{name} changed since the plan was made"):
                    apply_set_revert(ws, plan)
                assert checksum(url) == untouched
    finally:
        engine.dispose()
        ws.close()


def test_a_failing_hook_rolls_back_a_set_based_revert(runner: CliRunner, sqlite_or_pg_backend: str,
                                                      story_clone: StoryClone, tmp_path: Path) -> None:
    url, tx = _story(story_clone, sqlite_or_pg_backend)
    untouched = checksum(url)
    config = write_config(tmp_path / "chrono.toml",
                          before_commit=python_hook(tmp_path / "hook.py",
                                                    "import json, sys\n"
                                                    "assert json.load(sys.stdin)['set_based']\n"
                                                    "sys.exit(3)\n"))
    failed = chrono(runner, url, "revert", str(tx["import"]), "--yes", config=config)
    assert failed.exit_code == 6, failed.output
    assert "exited with 3" in failed.stderr and "rolled back, nothing written" in failed.stderr  # it read the plan
    assert checksum(url) == untouched


def test_quick_restores_are_planned_by_the_database(runner: CliRunner, backend: str, story_clone: StoryClone,
                                                    tmp_path: Path) -> None:
    """A change set whose every row is a plain restore (nothing changed since, a version before it) is planned in
    SQL (shapes/undo_plan.py), the others row by row in Python; both agree with the row-by-row revert, the plan
    lists the same rows before and after the write, and the write ends as the row-by-row one."""
    url, tx = _story(story_clone, backend)
    ws = Workspace(Settings(url, (), Config()))
    try:
        planned = {label: reverts_agree(ws, str(ident), 5.0) for label, ident in tx.items()}
    finally:
        ws.close()
    quick = {label for label, plan in planned.items() if any(p.quick is not None for p in plan.parts)}
    assert quick == {"unrelated", "rename 3 again"}  # "rename 3" changed again later; the rest create or delete
    assert all(p.quick is not None for label in quick for p in planned[label].parts)

    dry = chrono(runner, url, "-f", "json", "revert", str(tx["rename 3 again"]), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert [(i["action"], i["key"], i["convention"], i["diff"]) for i in json.loads(dry.stdout)["items"]] == [
        ("restore", {"id": 3}, "continuum", [{"column": "name", "old": "Cyd", "new": "Cy"}])]
    other, _ = _story(story_clone, backend)
    done = revert_both_ways(runner, url, other, str(tx["rename 3 again"]), tmp_path, ["customer"], "")
    assert json.loads(done.stdout)["items"] == json.loads(dry.stdout)["items"]  # read again after the write
    assert _read(url, tmp_path) == _read(other, tmp_path)

