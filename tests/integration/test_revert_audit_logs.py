"""``chrono revert`` set-based on the hand-installed audit triggers (the 2ndQuadrant audit trigger: exact change sets
by transaction id; supa_audit: inferred ones), planned as the row-by-row revert plans them and written alike.

The stories run the suite's own triggers, written to the documented layouts (tests/support/audit_logs.py, the
conformance suite's copies), and postgresql-audit's story written by the real library; PostgreSQL only, as the
triggers are. Beyond the stories: a write the triggers did not see, a key changed by an UPDATE and a logged
TRUNCATE, which the set-based reading hands to the row-by-row code.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from chrono_cli.config import Config
from chrono_cli.services.changes import list_changes
from chrono_cli.services.workspace import Settings, Workspace
from tests.conftest import StoryClone
from tests.integration.restore_support import chrono, revert_row_by_row, reverts_agree, rows, run_support
from tests.support import audit_logs

KINDS = {"supa-audit": "supa", "audit-trigger": "audit-trigger"}
PARAMS = [pytest.param(name, id=name, marks=pytest.mark.xdist_group(f"conformance-{name}-postgresql"))
          for name in KINDS]


def _story(story_clone: StoryClone, name: str) -> str:
    kind = KINDS[name]

    def build(url: str) -> dict[str, Any]:  # what the conformance suite builds under the same name
        return {"story": audit_logs.build(url, kind), "reading": audit_logs.read(url, kind)}

    url, _ = story_clone("postgresql", "conformance_" + name.replace("-", "_"), build)
    return url


def _all_agree(url: str) -> dict[str, bool]:
    """Every change set listed, planned both ways (they must agree): whether each planned set-based. Inferred sets
    (supa_audit's) are read with a window of 0 s: the story's transactions are milliseconds apart."""
    ws = Workspace(Settings(url, (), Config()))
    try:
        return {cs.id: reverts_agree(ws, cs.id, 0.0) is not None
                for cs in list_changes(ws, limit=50, window=0.0).changesets}
    finally:
        ws.close()


@pytest.mark.parametrize("name", PARAMS)
def test_every_change_set_reverts_set_based_as_row_by_row(runner: CliRunner, name: str, story_clone: StoryClone,
                                                          tmp_path: Path) -> None:
    """The story's change sets (inserts, updates of one row twice in a transaction, a delete and re-creation of a
    key, a no-op update, an update of an ignored column): the same report and rows both ways; the re-creation of
    article 2 written both ways, alike, and logged by the triggers."""
    url = _story(story_clone, name)
    planned = _all_agree(url)
    assert len(planned) >= 6
    # the audit trigger's transaction that updates article 1 twice goes row by row (a revert counts changes by key)
    assert [ident for ident, fast in planned.items() if not fast] == ([] if name == "supa-audit" else [
        str(audit_logs.scalar(url, "SELECT transaction_id FROM audit.logged_actions WHERE table_name = 'article' "
                                   "GROUP BY transaction_id HAVING count(*) = 2"))])

    def recreated(target: str) -> str:
        listed = chrono(runner, target, "-f", "json", "changes", "-n", "50", "--window", "0")
        assert listed.exit_code == 0, listed.output
        for cs in json.loads(listed.stdout)["changesets"]:
            if [(c["key"], c["operation"]) for c in cs["changes"]] == [({"id": 2}, "insert")]:
                return str(cs["id"])
        raise AssertionError("no re-creation of article 2 listed")

    other = _story(story_clone, name)
    ident = recreated(url)
    done = chrono(runner, url, "-f", "json", "revert", ident, "--force", "--yes")
    assert done.exit_code == 0, done.output
    doc = json.loads(done.stdout)
    assert doc["set_based"] is True and (doc["undelete"], doc["restore"], doc["delete"]) == (0, 0, 1)
    assert revert_row_by_row(other, recreated(other)).items
    for table in ("article", "tag"):
        assert rows(url, table) == rows(other, table), table
    logs = [[(e["op"], e["values"]) for e in audit_logs.read(u, KINDS[name])["timelines"]["article"]["2"]]
            for u in (url, other)]
    assert logs[0][-1][0] == "delete" and logs[0] == logs[1]


@pytest.mark.parametrize("name", PARAMS)
def test_one_change_set_of_many_rows_writes_set_based(runner: CliRunner, name: str, story_clone: StoryClone) -> None:
    """A transaction that updates, deletes and inserts rows: the revert restores, re-inserts and deletes them in
    one UPDATE, one INSERT and one DELETE, and the triggers log each row as a single write would."""
    url = _story(story_clone, name)
    audit_logs.execute(url, "INSERT INTO tag (id, label) SELECT g, 'tag ' || g FROM generate_series(10, 29) g")
    audit_logs.execute(url, "UPDATE tag SET label = label || ' (edited)' WHERE id BETWEEN 10 AND 19",
                       "DELETE FROM tag WHERE id BETWEEN 20 AND 24",
                       "INSERT INTO tag (id, label) VALUES (30, 'new'), (31, 'newer')")
    before = rows(url, "tag")
    planned = _all_agree(url)
    newest = chrono(runner, url, "-f", "json", "changes", "-n", "2", "--window", "0")
    cs, created = json.loads(newest.stdout)["changesets"]
    assert planned[cs["id"]] and planned[created["id"]]
    done = chrono(runner, url, "-f", "json", "revert", str(cs["id"]), "--yes")
    assert done.exit_code == 0, done.output
    doc = json.loads(done.stdout)
    assert doc["set_based"] is True and (doc["undelete"], doc["restore"], doc["delete"]) == (5, 10, 2)
    after = rows(url, "tag")
    assert [r for r in after if 10 <= r["id"] <= 29] == [{"id": g, "label": f"tag {g}"} for g in range(10, 30)]
    assert [r["id"] for r in after if r["id"] >= 30] == [] and len(before) == len(after) - 5 + 2
    log = audit_logs.read(url, KINDS[name])["timelines"]["tag"]
    assert [log[str(k)][-1]["op"] for k in (10, 20, 30)] == ["update", "insert", "delete"]


@pytest.mark.parametrize("name", PARAMS)
def test_gaps_key_changes_and_truncates_go_through_the_row_by_row_reading(runner: CliRunner, name: str,
                                                                          story_clone: StoryClone) -> None:
    """A write the triggers did not see (between a change set and the one before it, and after one), an UPDATE
    that changes a key, and a logged TRUNCATE: every change set still plans as the row-by-row revert plans it; the
    sets of a moved key or a truncated table's rows go row by row, the one after the unseen write set-based."""
    url = _story(story_clone, name)
    trigger = "audit_i_u_d" if name == "supa-audit" else "audit_trigger_row"
    audit_logs.execute(url, f"ALTER TABLE tag DISABLE TRIGGER {trigger}", "UPDATE tag SET label = 'unseen'",
                       f"ALTER TABLE tag ENABLE TRIGGER {trigger}")
    audit_logs.execute(url, "UPDATE tag SET label = 'seen' WHERE id = 1",
                       "INSERT INTO tag (id, label) VALUES (2, 'two')")
    audit_logs.execute(url, "UPDATE tag SET id = 3 WHERE id = 2")
    audit_logs.execute(url, "UPDATE article SET name = 'before the truncate' WHERE id = 1")
    audit_logs.execute(url, "TRUNCATE article")
    audit_logs.execute(url, "INSERT INTO article (id, name, price) VALUES (1, 'after', 1.00)")
    audit_logs.execute(url, f"ALTER TABLE tag DISABLE TRIGGER {trigger}", "UPDATE tag SET label = 'unseen again'",
                       f"ALTER TABLE tag ENABLE TRIGGER {trigger}")
    planned = _all_agree(url)
    seen = chrono(runner, url, "-f", "json", "history", "tag", "2")
    assert seen.exit_code == 0, seen.output
    created = json.loads(seen.stdout)["versions"][0]["valid_from"]
    by_time = {cs["id"]: cs["at"] for cs in json.loads(chrono(runner, url, "-f", "json", "changes", "-n", "50",
                                                              "--window", "0").stdout)["changesets"]}
    assert [planned[i] for i, at in by_time.items() if at == created] == [True]  # tag 1 'seen', tag 2 created
    assert sum(planned.values()) < len(planned)


@pytest.mark.xdist_group("conformance-postgresql-audit-postgresql")
@pytest.mark.filterwarnings("ignore:Did not recognize type 'xid8'")
def test_postgresql_audit_transactions_revert_set_based_as_row_by_row(runner: CliRunner, story_clone: StoryClone,
                                                                      tmp_path_factory: pytest.TempPathFactory,
                                                                      tmp_path: Path) -> None:
    """postgresql-audit (the real library's story, the conformance suite's copy): every transaction plans both
    ways alike; one of many rows through its statement-level triggers (updated, deleted, inserted) is reverted
    set-based, the activities written under the actor's transaction row, read back by the library."""
    from tests.conformance import readers

    def build(url: str) -> dict[str, Any]:
        reading = readers.postgresql_audit(url, tmp_path_factory.mktemp("story"), build=True)
        return {"story": reading.pop("story"), "reading": reading}

    url, _ = story_clone("postgresql", "conformance_postgresql_audit", build)
    audit_logs.execute(url, "INSERT INTO tag (id, label) SELECT g, 'tag ' || g FROM generate_series(10, 29) g")
    audit_logs.execute(url, "UPDATE tag SET label = label || ' (edited)' WHERE id BETWEEN 10 AND 19",
                       "DELETE FROM tag WHERE id BETWEEN 20 AND 24", "INSERT INTO tag (id, label) VALUES (30, 'new')")
    planned = _all_agree(url)
    assert sum(planned.values()) >= 3
    newest = json.loads(chrono(runner, url, "-f", "json", "changes", "-n", "1").stdout)["changesets"][0]["id"]
    assert planned[newest]
    done = chrono(runner, url, "-f", "json", "revert", str(newest), "--actor", "erin", "--yes")
    assert done.exit_code == 0, done.output
    doc = json.loads(done.stdout)
    assert doc["set_based"] is True and (doc["undelete"], doc["restore"], doc["delete"]) == (5, 10, 1)
    assert [(r["id"], r["label"]) for r in rows(url, "tag") if r["id"] >= 10] == [(g, f"tag {g}")
                                                                                 for g in range(10, 30)]
    after = run_support("postgresql_audit_story", url, tmp_path)["timelines"]["tag"]
    assert [(after[str(k)][-1]["op"], after[str(k)][-1]["actor"]) for k in (10, 20, 30)] == [
        ("update", "erin"), ("insert", "erin"), ("delete", "erin")]
