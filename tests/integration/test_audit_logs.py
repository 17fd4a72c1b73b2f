"""The hand-installed audit triggers (supabase supa_audit, the 2ndQuadrant audit trigger) beyond the conformance
suite: undelete, revert, a write the log did not see, refusals and check-migrations' suggested fix.

No implementation is installable from the package registries here: the stories run the suite's own triggers,
written to the documented layouts (tests/support/audit_logs.py, the conformance suite's copies, built once per
run); read-backs use the documented reading in plain SQL.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import StoryClone
from tests.integration.restore_support import checksum, chrono, history_versions
from tests.support import audit_logs

KINDS = {"supa-audit": ("supa", "audit_i_u_d", "SELECT audit.enable_tracking('article')"),
         "audit-trigger": ("audit-trigger", "audit_trigger_row", "SELECT audit.audit_table('article')")}
PARAMS = [pytest.param(name, id=name, marks=pytest.mark.xdist_group(f"conformance-{name}-postgresql"))
          for name in KINDS]


@pytest.fixture
def story(request: pytest.FixtureRequest, story_clone: StoryClone) -> tuple[str, str, dict[str, Any]]:
    name = request.param
    kind = KINDS[name][0]

    def build(url: str) -> dict[str, Any]:  # what the conformance suite builds under the same name
        return {"story": audit_logs.build(url, kind), "reading": audit_logs.read(url, kind)}

    url, built = story_clone("postgresql", "conformance_" + name.replace("-", "_"), build)
    return name, url, built["reading"]




@pytest.mark.parametrize("story", PARAMS, indirect=True)
def test_undelete_is_logged_by_the_trigger(runner: CliRunner, story: Any) -> None:
    name, url, reading = story
    deleted = chrono(runner, url, "-f", "json", "deleted", "article")
    assert deleted.exit_code == 0, deleted.output
    assert [r["key"] for r in json.loads(deleted.stdout)["rows"]] == [{"id": 3}]
    result = chrono(runner, url, "restore", "article", "3", "--actor", "dave", "--yes")
    assert result.exit_code == 0, result.output
    assert "records the database session, not --actor" in result.stderr
    after = audit_logs.read(url, KINDS[name][0])["timelines"]["article"]["3"]
    assert after[-1]["op"] == "insert"
    assert after[-1]["values"] == reading["timelines"]["article"]["3"][0]["values"]


@pytest.mark.parametrize("story", PARAMS, indirect=True)
def test_a_write_the_trigger_did_not_see_shows_as_a_gap(runner: CliRunner, story: Any) -> None:
    name, url, _ = story
    trigger = KINDS[name][1]
    before = history_versions(runner, url, "tag", "1")
    audit_logs.execute(url, f"ALTER TABLE tag DISABLE TRIGGER {trigger}",
                       "UPDATE tag SET label = 'hidden' WHERE id = 1",
                       f"ALTER TABLE tag ENABLE TRIGGER {trigger}", "UPDATE tag SET label = 'seen' WHERE id = 1")
    versions = history_versions(runner, url, "tag", "1")
    assert len(versions) == len(before) + 2
    gap, last = versions[-2], versions[-1]
    assert gap["operation"] == "unknown" and "unrecorded change" in gap["note"]
    assert gap["values"]["label"] == "hidden"
    assert last["operation"] == "update" and [(c["old"], c["new"]) for c in last["changes"]] == [("hidden", "seen")]
    assert versions[-3]["values"] == before[-1]["values"]  # nothing carried across the gap


@pytest.mark.parametrize("story", PARAMS, indirect=True)
def test_a_missing_trigger_refuses_writes_and_check_suggests_the_set_up_call(runner: CliRunner, story: Any) -> None:
    name, url, _ = story
    audit_logs.execute(url, f"DROP TRIGGER {KINDS[name][1]} ON article")
    before = checksum(url)
    refused = chrono(runner, url, "restore", "article", "1", "--version", "p1", "--yes")
    assert refused.exit_code == 6, refused.output
    assert checksum(url) == before
    result = chrono(runner, url, "-f", "json", "check-migrations", "--suggest")
    assert result.exit_code == 3, result.output
    (finding,) = json.loads(result.stdout)["findings"]
    assert (finding["kind"], finding["severity"], finding["target"]) == ("trigger", "error", "public.article")
    assert finding["fix"]["ddl"] == [KINDS[name][2]]
    log = "audit.record_version" if name == "supa-audit" else "audit.logged_actions"
    rows = audit_logs.scalar(url, f"SELECT count(*) FROM {log} WHERE table_name = 'article'")
    assert rows > 0 and f"({rows:,} history row(s) of article in {log} so far" in finding["message"], finding
    audit_logs.execute(url, *finding["fix"]["ddl"])
    assert chrono(runner, url, "check-migrations").exit_code == 0


@pytest.mark.parametrize("story", [PARAMS[1]], indirect=True)
def test_revert_a_transaction_of_the_audit_trigger(runner: CliRunner, story: Any, tmp_path: Path) -> None:
    _, url, reading = story
    tx = next(e["version"] for e in reading["timelines"]["article"]["2"] if e["op"] == "delete")
    shown = chrono(runner, url, "-f", "json", "changes", "show", str(tx))
    assert shown.exit_code == 0, shown.output
    doc = json.loads(shown.stdout)
    assert doc["exact"] is True
    assert sorted((c["table"], c["operation"]) for c in doc["changes"]) == [("public.article", "delete"),
                                                                           ("public.tag", "update")]
    result = chrono(runner, url, "revert", str(tx), "--force", "--yes")
    assert result.exit_code == 0, result.output
    tag = audit_logs.read(url, "audit-trigger")["timelines"]["tag"]["1"]
    assert tag[-1]["values"] == {"id": 1, "label": "news"}


@pytest.mark.parametrize("story", PARAMS, indirect=True)
def test_a_primary_key_change_links_the_two_keys_timelines(runner: CliRunner, story: Any) -> None:
    """An UPDATE that changes the key: the old key's timeline goes on under the new key (never a false delete),
    and the new key's timeline starts with the old key's life."""
    _, url, _ = story
    before = history_versions(runner, url, "tag", "1")
    audit_logs.execute(url, "UPDATE tag SET id = 5 WHERE id = 1")
    audit_logs.execute(url, "UPDATE tag SET label = 'moved' WHERE id = 5")
    old, new = history_versions(runner, url, "tag", "1"), history_versions(runner, url, "tag", "5")
    assert old == new
    assert [v["values"] for v in old[:len(before)]] == [v["values"] for v in before]
    move, last = old[len(before)], old[-1]
    assert len(old) == len(before) + 2 and "delete" not in [v["operation"] for v in old]
    assert move["operation"] == "update" and "primary key changed: id=1 -> id=5" in move["note"]
    assert [(c["column"], c["old"], c["new"]) for c in move["changes"]] == [("id", 1, 5)]
    assert last["values"] == {"id": 5, "label": "moved"} and last["current"] is True

    # the old key used again: its first life ends with the move, the new row is a plain insert (no gap)
    audit_logs.execute(url, "INSERT INTO tag (id, label) VALUES (1, 'reused')")
    reused = history_versions(runner, url, "tag", "1")
    assert [v["operation"] for v in reused[len(before):]] == ["update", "insert"]
    assert "lives on under that key" in reused[len(before)]["note"]
    assert reused[-1]["values"] == {"id": 1, "label": "reused"} and reused[-1]["current"] is True
    assert history_versions(runner, url, "tag", "5")[-1]["values"] == {"id": 5, "label": "moved"}


@pytest.mark.parametrize("story", PARAMS, indirect=True)
def test_a_truncate_the_trigger_records_is_a_deletion_of_every_row(runner: CliRunner, story: Any) -> None:
    name, url, _ = story
    audit_logs.execute(url, "TRUNCATE article")
    log = ("SELECT max(ts) FROM audit.record_version WHERE op = 'TRUNCATE'" if name == "supa-audit" else
           "SELECT max(action_tstamp_stm) FROM audit.logged_actions WHERE action = 'T'")
    at = audit_logs.scalar(url, log)
    for key in ("1", "2"):
        versions = history_versions(runner, url, "article", key)
        gone = versions[-1]
        assert gone["operation"] == "delete" and "TRUNCATE" in gone["note"], gone
        assert datetime.fromisoformat(gone["valid_from"]) == at
    deleted = chrono(runner, url, "-f", "json", "deleted", "article")
    assert deleted.exit_code == 0, deleted.output
    assert [r["key"] for r in json.loads(deleted.stdout)["rows"]] == [{"id": 1}, {"id": 2}, {"id": 3}]
    audit_logs.execute(url, "INSERT INTO article (id, name) VALUES (1, 'after truncate')")
    versions = history_versions(runner, url, "article", "1")
    assert [v["operation"] for v in versions[-2:]] == ["delete", "insert"]  # no unrecorded-change gap
    assert versions[-1]["values"]["name"] == "after truncate"


@pytest.mark.parametrize("story", [PARAMS[0]], indirect=True)
def test_supa_audit_finds_a_record_by_the_record_id_it_computes(story: Any) -> None:
    """The lookup uses the indexed uuid the extension stores, computed as it does (table OID and key)."""
    from chrono_cli.config import Config
    from chrono_cli.conventions.builtin.supa_audit.adapter import record_id
    from chrono_cli.model import RowKey
    from chrono_cli.services.target import history_detection, open_target
    from chrono_cli.services.workspace import Settings, Workspace

    _, url, _ = story
    ws = Workspace(Settings(url, (), Config()))
    try:
        with ws.catalog() as cat:
            target = open_target(cat, "article")
            det = history_detection(target, None)
            ctx = cat.context(target.snapshot, target.ref)
            for key in (1, 2, 3):
                rid = record_id(ctx, det, RowKey((("id", key),)))
                stored = audit_logs.scalar(url, "SELECT array_agg(DISTINCT coalesce(record_id, old_record_id)) FROM "
                                                "audit.record_version WHERE table_name = 'article' AND "
                                                f"coalesce(record, old_record)->>'id' = '{key}'")
                assert stored == [rid]
    finally:
        ws.close()


@pytest.mark.parametrize("story", PARAMS, indirect=True)
def test_bulk_restore_writes_the_live_table_and_the_trigger_logs_it(runner: CliRunner, story: Any) -> None:
    """``restore TABLE --at T --all-changed-since T``: the states the documented reading gives at T, written as
    ordinary DML in one transaction; the triggers log each row (updates, and an insert for the deleted key)."""
    name, url, reading = story
    article = reading["timelines"]["article"]
    when = max(article[k][0]["at"] for k in ("1", "2", "3"))  # after the story's first transaction's inserts
    result = chrono(runner, url, "-f", "json", "restore", "article", "--at", when, "--all-changed-since", when,
                    "--yes")
    assert result.exit_code == 0, result.output
    after = audit_logs.read(url, KINDS[name][0])["timelines"]["article"]
    for key in ("1", "2", "3"):
        assert after[key][-1]["values"] == article[key][0]["values"], key
    assert [after[k][-1]["op"] for k in ("1", "2", "3")] == ["update", "update", "insert"]
    if name == "audit-trigger":  # one database transaction
        assert len({after[k][-1]["version"] for k in ("1", "2", "3")}) == 1


@pytest.mark.parametrize("story", PARAMS, indirect=True)
def test_bulk_restore_across_a_truncate_and_a_key_change(runner: CliRunner, story: Any) -> None:
    """Rows a logged TRUNCATE removed come back with their states before it; a key that moved away since the time
    is re-created under its old key, and the new key (created after the time) is left alone."""
    name, url, _ = story
    before = {k: history_versions(runner, url, "article", k)[-1]["values"] for k in ("1", "2")}
    tag = history_versions(runner, url, "tag", "1")[-1]["values"]
    when = audit_logs.scalar(url, "SELECT clock_timestamp()").isoformat()
    audit_logs.execute(url, "TRUNCATE article")
    audit_logs.execute(url, "UPDATE tag SET id = 5 WHERE id = 1")
    for table in ("article", "tag"):
        result = chrono(runner, url, "-f", "json", "restore", table, "--at", when, "--all-changed-since", when,
                        "--yes")
        assert result.exit_code == 0, result.output
    for key in ("1", "2"):
        assert history_versions(runner, url, "article", key)[-1]["values"] == before[key]
    assert audit_logs.scalar(url, "SELECT count(*) FROM article") == 2
    assert audit_logs.scalar(url, "SELECT string_agg(id || ':' || label, ',' ORDER BY id) FROM tag") == \
        f"1:{tag['label']},5:{tag['label']}"
