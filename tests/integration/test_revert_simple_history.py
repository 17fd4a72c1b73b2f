"""``chrono revert`` on histories written by the real django-simple-history, read back by the library.

simple-history stores no transactions, so its change sets are inferred (one actor, changes close in time);
``chrono changes -f json`` names them and the tests pick them by content.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import simple_history  # noqa: F401  (a test-extra library: an import error fails the run)
from typer.testing import CliRunner

from chrono_cli.config import Config
from chrono_cli.services.changes import list_changes
from chrono_cli.services.workspace import Settings, Workspace
from tests.conftest import StoryClone
from tests.integration.restore_support import checksum, chrono, revert_both_ways, reverts_agree, rows, support_clone
from tests.support import forkserver

READ = """
import json, sys
from tests.support.simple_history_story import configure
configure(sys.argv[1])
from tests.support.djangoapp.models import Choice, Poll
out = {}
for model in (Poll, Choice):
    records = model.history.order_by("history_date", "history_id")
    out[model.__name__] = [[r.id, r.history_type, r.history_change_reason] for r in records]
poll = Poll.objects.filter(pk=2).first()
if poll is not None:  # the next ordinary save
    poll.votes += 1
    poll.save()
    out["saved"] = poll.history.order_by("-history_date", "-history_id").first().history_type
print(json.dumps(out))
"""




def _library(url: str) -> dict[str, Any]:
    proc = forkserver.run_code(READ, url)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def _changeset(runner: CliRunner, url: str, table: str, key: int, op: str) -> str:
    listed = chrono(runner, url, "-f", "json", "changes", "-n", "50")
    assert listed.exit_code == 0, listed.output
    for cs in json.loads(listed.stdout)["changesets"]:
        if any(c["table"].endswith(table) and c["key"] == {"id": key} and c["operation"] == op
               for c in cs["changes"]):
            return str(cs["id"])
    raise AssertionError(f"no {op} of {table} {key} listed")


def test_revert_a_delete_an_update_and_an_insert(runner: CliRunner, backend: str, story_clone: StoryClone) -> None:
    url, _ = support_clone(story_clone, backend, "simple_history_story")

    # the deletion of poll 2: re-inserted with a '+' row
    deleted = _changeset(runner, url, "djangoapp_poll", 2, "delete")
    done = chrono(runner, url, "-f", "json", "revert", deleted, "--actor", "1", "--yes")
    assert done.exit_code == 0, done.output
    assert "inferred" in done.stderr
    (item,) = json.loads(done.stdout)["items"]
    assert item["action"] == "undelete"
    assert rows(url, "djangoapp_poll", id=2)[0]["question"] == "Cats or dogs?"

    # bob's vote for choice 1: back to no votes with a '~' row
    vote = _changeset(runner, url, "custom_choice_table", 1, "update")
    assert chrono(runner, url, "revert", vote, "--yes").exit_code == 0
    assert rows(url, "custom_choice_table", id=1)[0]["votes"] == 0

    # the creation of choice 1 was changed since (the vote and its revert): refused, then forced
    created = _changeset(runner, url, "custom_choice_table", 1, "insert")
    untouched = checksum(url)
    refused = chrono(runner, url, "revert", created, "--yes")
    assert refused.exit_code == 6 and "2 later changes" in refused.stderr and "bob" in refused.stderr
    assert checksum(url) == untouched
    forced = chrono(runner, url, "-f", "json", "revert", created, "--force", "--reason", "spam choice", "--yes")
    assert forced.exit_code == 0, forced.output
    (item,) = json.loads(forced.stdout)["items"]
    assert item["action"] == "delete" and rows(url, "custom_choice_table", id=1) == []

    seen = _library(url)
    assert [t for i, t, _ in seen["Poll"] if i == 2] == ["+", "-", "+"]
    choice = [(t, why) for i, t, why in seen["Choice"] if i == 1]
    assert choice[-3:] == [("~", "ballot"), ("~", f"chrono revert: change set {vote}"), ("-", "spam choice")]
    assert seen["saved"] == "~"


def test_a_unique_key_taken_meanwhile_blocks_even_a_forced_revert(runner: CliRunner, backend: str,
                                                                  story_clone: StoryClone) -> None:
    """Re-inserting poll 2 would need its question back; here a new poll took it (question is unique)."""
    url, _ = support_clone(story_clone, backend, "simple_history_story")
    deleted = _changeset(runner, url, "djangoapp_poll", 2, "delete")
    from sqlalchemy import column, create_engine, insert, table

    engine = create_engine(url)
    poll = table("djangoapp_poll", column("id"), column("question"), column("pub_date"), column("votes"),
                 column("author_id"), column("secret"))
    with engine.begin() as conn:
        conn.execute(insert(poll).values(id=9, question="Cats or dogs?", pub_date="2026-01-06 09:00:00",
                                         votes=0, author_id=None, secret=""))
    engine.dispose()
    untouched = checksum(url)
    blocked = chrono(runner, url, "revert", deleted, "--force", "--yes")
    assert blocked.exit_code == 6, blocked.output
    assert "cannot be reverted" in blocked.stderr and "unique" in blocked.stderr and "id=9" in blocked.stderr
    assert checksum(url) == untouched


def test_inferred_sets_revert_set_based_as_row_by_row(runner: CliRunner, backend: str, story_clone: StoryClone,
                                                      tmp_path: Path) -> None:
    """Every change set of the story (with carol's batch: polls created, reworded, created and deleted again; a
    choice voted on and deleted, then its poll deleted; bob rewording one of her polls after): planned set-based
    with the row-by-row revert's report and rows; her batch then written both ways, alike, and read back by the
    library."""
    url, _ = support_clone(story_clone, backend, "simple_history_story", "--batch")
    ws = Workspace(Settings(url, (), Config()))
    try:
        sets = list_changes(ws, limit=50).changesets
        for cs in sets:
            assert reverts_agree(ws, cs.id, 5.0) is not None, cs.id
        (batch,) = [cs for cs in sets if cs.actor == "carol"]
    finally:
        ws.close()

    other, _ = support_clone(story_clone, backend, "simple_history_story", "--batch")
    done = revert_both_ways(runner, url, other, batch.id, tmp_path,
                            ["djangoapp_poll", "custom_choice_table", "djangoapp_historicalpoll",
                             "djangoapp_historicalchoice", "djangoapp_historicalpoll_tags"], "history_date")
    doc = json.loads(done.stdout)
    assert (doc["undelete"], doc["restore"], doc["delete"]) == (2, 0, 2)
    assert "changed again after the change set" in done.stderr and "djangoapp_poll 5 is already gone" in done.stderr

    seen = _library(url)
    assert [t for i, t, _ in seen["Poll"] if i == 1][-3:] == ["~", "-", "+"]  # re-inserted
    assert [(t, why) for i, t, why in seen["Poll"] if i == 3] == [("+", None), ("~", None),
                                                                  ("-", f"chrono revert: change set {batch.id}")]
