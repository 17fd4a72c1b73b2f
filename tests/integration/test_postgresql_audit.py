"""postgresql-audit beyond the conformance suite: the actor of a restore, undelete, revert of a transaction, writes
the log did not record (versioning disabled the library's way), refusals and check-migrations' suggested fix.

The story is tests/support/postgresql_audit_story.py, written by the real library (the conformance suite's copy,
built once per run); every read-back goes through the library's own Activity model (``"newest"``: the newest
activity and its transaction row).
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conformance import readers
from tests.conftest import StoryClone
from tests.integration.restore_support import checksum, chrono, history_versions, run_support
from tests.support import audit_logs

pytestmark = [pytest.mark.xdist_group("conformance-postgresql-audit-postgresql"),
              # checksum() reflects every table: SQLAlchemy has no type for xid8 (native_transaction_id)
              pytest.mark.filterwarnings("ignore:Did not recognize type 'xid8'")]


def _story(story_clone: StoryClone, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    """The conformance suite's postgresql-audit story (same name and record: built once per run)."""
    def build(url: str) -> dict[str, Any]:
        reading = readers.postgresql_audit(url, tmp_path_factory.mktemp("story"), build=True)
        return {"story": reading.pop("story"), "reading": reading}

    url, built = story_clone("postgresql", "conformance_postgresql_audit", build)
    return url, built["reading"]


@pytest.fixture
def story(story_clone: StoryClone, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    return _story(story_clone, tmp_path_factory)


def _library(url: str, tmp_path: Path) -> dict[str, Any]:
    return run_support("postgresql_audit_story", url, tmp_path)




def test_restore_records_the_actor_the_library_way(runner: CliRunner, story: Any, tmp_path: Path) -> None:
    url, reading = story
    first = reading["timelines"]["article"]["1"][0]
    result = chrono(runner, url, "restore", "article", "1", "--version", "p1", "--actor", "dave", "--reason", "r",
                    "--yes")
    assert result.exit_code == 0, result.output
    assert "no place for a reason" in result.stderr
    after = _library(url, tmp_path)
    assert after["newest"] == {"table": "article", "verb": "update", "actor": "dave", "client_addr": "None",
                               "transaction_id": after["newest"]["transaction_id"]}
    assert after["newest"]["transaction_id"] is not None
    restored = after["timelines"]["article"]["1"][-1]
    assert restored["actor"] == "dave" and restored["values"] == first["values"]
    assert history_versions(runner, url, "article", "1")[-1]["actor"] == "dave"


def test_undelete_records_the_default_actor(runner: CliRunner, story: Any, tmp_path: Path) -> None:
    url, reading = story
    deleted = chrono(runner, url, "-f", "json", "deleted", "article")
    assert deleted.exit_code == 0, deleted.output
    assert [r["key"] for r in json.loads(deleted.stdout)["rows"]] == [{"id": 3}]
    result = chrono(runner, url, "restore", "article", "3", "--yes")  # the actor: the OS user (no --actor)
    assert result.exit_code == 0, result.output
    after = _library(url, tmp_path)
    newest = after["newest"]
    assert (newest["table"], newest["verb"], newest["actor"]) == ("article", "insert", getpass.getuser())
    assert after["timelines"]["article"]["3"][-1]["values"] == reading["timelines"]["article"]["3"][0]["values"]


def test_revert_undoes_one_database_transaction(runner: CliRunner, story: Any, tmp_path: Path) -> None:
    url, reading = story
    article2 = reading["timelines"]["article"]["2"]
    tx = next(e["version"] for e in article2 if e["op"] == "delete")  # deleted article 2, renamed tag 1
    shown = chrono(runner, url, "-f", "json", "changes", "show", str(tx))
    assert shown.exit_code == 0, shown.output
    doc = json.loads(shown.stdout)
    assert doc["exact"] is True
    assert sorted((c["table"], c["operation"]) for c in doc["changes"]) == [("public.article", "delete"),
                                                                     ("public.tag", "update")]
    result = chrono(runner, url, "revert", str(tx), "--actor", "erin", "--force", "--yes")
    assert result.exit_code == 0, result.output
    after = _library(url, tmp_path)
    tag = after["timelines"]["tag"]["1"]
    assert tag[-1]["values"] == {"id": 1, "label": "news"} and tag[-1]["actor"] == "erin"


def test_a_write_with_versioning_disabled_shows_as_a_gap(runner: CliRunner, story: Any) -> None:
    url, _ = story
    before = history_versions(runner, url, "article", "1")
    # the library's own versioning_manager.disable(session): SET LOCAL postgresql_audit.enable_versioning
    audit_logs.execute(url, "SET LOCAL postgresql_audit.enable_versioning = 'false'",
                       "UPDATE article SET name = 'hidden' WHERE id = 1")
    hidden = history_versions(runner, url, "article", "1")
    assert len(hidden) == len(before) + 1 and hidden[-2]["values"] == before[-1]["values"]
    assert hidden[-1]["operation"] == "unknown" and "live row differs" in hidden[-1]["note"]
    audit_logs.execute(url, "UPDATE article SET price = 1.00 WHERE id = 1")  # audited: its old_data names 'hidden'
    versions = history_versions(runner, url, "article", "1")
    gap, last = versions[-2], versions[-1]
    assert gap["operation"] == "unknown" and "unrecorded change" in gap["note"]
    assert gap["values"]["name"] == "hidden" and gap["actor"] is None
    assert last["operation"] == "update" and [c["column"] for c in last["changes"]] == ["price"]
    assert versions[-3]["values"]["name"] == before[-1]["values"]["name"]  # nothing carried across the gap


def test_restore_refused_when_the_audit_trigger_is_disabled(runner: CliRunner, story: Any) -> None:
    url, _ = story
    audit_logs.execute(url, "ALTER TABLE article DISABLE TRIGGER audit_trigger_update")
    before = checksum(url)
    result = chrono(runner, url, "restore", "article", "1", "--version", "p1", "--actor", "dave", "--yes")
    assert result.exit_code == 6, result.output
    assert "no enabled audit trigger records updates on article" in result.stderr
    assert checksum(url) == before


def test_check_migrations_suggests_audit_table_for_a_dropped_trigger(runner: CliRunner, story: Any) -> None:
    url, _ = story
    audit_logs.execute(url, "DROP TRIGGER audit_trigger_update ON tag", "DROP TRIGGER audit_trigger_insert ON tag",
                       "DROP TRIGGER audit_trigger_delete ON tag")
    result = chrono(runner, url, "-f", "json", "check-migrations", "--suggest")
    assert result.exit_code == 3, result.output
    (finding,) = json.loads(result.stdout)["findings"]
    assert (finding["kind"], finding["severity"], finding["target"]) == ("trigger", "error", "public.tag")
    assert "no audit trigger" in finding["message"]
    assert finding["fix"]["ddl"] == ["SELECT public.audit_table('tag')"]
    audit_logs.execute(url, *finding["fix"]["ddl"])
    fixed = chrono(runner, url, "-f", "json", "check-migrations")
    assert fixed.exit_code == 0, fixed.output


def test_read_commands(runner: CliRunner, story: Any) -> None:
    url, reading = story
    entries = reading["timelines"]["article"]["1"]
    diff = chrono(runner, url, "-f", "json", "diff", "article", "1", "p1", "p2")
    assert diff.exit_code == 0, diff.output
    assert {c["column"] for c in json.loads(diff.stdout)["changes"]} == {"name", "price"}
    blame = chrono(runner, url, "-f", "json", "blame", "article", "1")
    assert blame.exit_code == 0, blame.output
    lines = {line["column"]: line for line in json.loads(blame.stdout)["columns"]}
    assert lines["name"]["actor"] == "bob" and lines["note"]["actor"] is None
    shown = chrono(runner, url, "-f", "json", "show", "article", "1", "--at", entries[0]["at"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["version"]["values"]["name"] == "First"


def test_bulk_restore_is_one_library_session(runner: CliRunner, story: Any, tmp_path: Path) -> None:
    url, reading = story
    article = reading["timelines"]["article"]
    when = max(article[k][0]["at"] for k in ("1", "2", "3"))  # after the story's first transaction's inserts
    result = chrono(runner, url, "-f", "json", "restore", "article", "--at", when, "--all-changed-since", when,
                    "--actor", "frank", "--yes")
    assert result.exit_code == 0, result.output
    after = _library(url, tmp_path)["timelines"]["article"]
    for key in ("1", "2", "3"):
        assert after[key][-1]["values"] == article[key][0]["values"], key
        assert after[key][-1]["actor"] == "frank", key
    assert [after[k][-1]["op"] for k in ("1", "2", "3")] == ["update", "update", "insert"]
    assert len({after[k][-1]["version"] for k in ("1", "2", "3")}) == 1  # one database transaction


def test_a_primary_key_change_is_followed_and_a_truncate_is_not_invented(runner: CliRunner, story: Any) -> None:
    """The activity of an UPDATE that changes the key links the two keys' timelines (no false delete); postgresql-
    audit has no TRUNCATE trigger, so a truncated row's end is shown as a deletion the log did not record."""
    url, _ = story
    before = history_versions(runner, url, "tag", "1")
    audit_logs.execute(url, "UPDATE tag SET id = 7 WHERE id = 1")
    audit_logs.execute(url, "UPDATE tag SET label = 'moved' WHERE id = 7")
    old, new = history_versions(runner, url, "tag", "1"), history_versions(runner, url, "tag", "7")
    assert old == new and len(old) == len(before) + 2 and "delete" not in [v["operation"] for v in old]
    assert "primary key changed: id=1 -> id=7" in old[len(before)]["note"]
    assert old[-1]["values"]["label"] == "moved" and old[-1]["current"] is True

    audit_logs.execute(url, "TRUNCATE article")
    gone = history_versions(runner, url, "article", "1")[-1]
    assert gone["operation"] == "delete" and gone["valid_from"] is None
    assert "without a recorded deletion" in gone["note"]
