"""``chrono revert`` of PaperTrail change sets (Debian's Ruby, ActiveRecord and PaperTrail 12.0.0 write the story
and a batch after it, tests/support/paper_trail_batch.rb). PaperTrail records no transactions, so its change sets
are inferred (one actor, changes close in time). Planned set-based, each reads as the row-by-row revert reads it;
written set-based, the rows and versions are the row-by-row revert's, and PaperTrail reads them back.

On MariaDB (the JSON serializer) ActiveRecord 6.1 stamps versions to the second, so the story's own sets end in the
same second and their inferred ids are ambiguous (chrono refuses them, both ways): there only the batch, a second
apart, is reverted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, Text, cast, create_engine, select
from typer.testing import CliRunner

from chrono_cli.config import Config
from chrono_cli.conventions.builtin.paper_trail import codec
from chrono_cli.services.changes import list_changes
from chrono_cli.services.workspace import Settings, Workspace
from tests.conftest import StoryClone
from tests.integration.restore_support import checksum, chrono, execute, revert_row_by_row, reverts_agree, rows
from tests.support import paper_trail

LIVE = ("app_users", "posts", "stock_items")
VERSIONS = ("versions", "json_versions")
LOCAL = "Asia/Kolkata"  # +05:30: an application keeping local time, undeclared (every version notes the skew)


def _story(url: str) -> dict[str, Any]:
    return {"story": paper_trail.story(url), "batch": paper_trail.run_ruby("paper_trail_batch.rb", url)}


def _clone(story_clone: StoryClone, backend: str) -> str:
    url, _ = story_clone(backend, "paper_trail+batch", _story)
    return str(url)


def _sets(url: str) -> list[Any]:
    ws = Workspace(Settings(url, (), Config()))
    try:
        return list(list_changes(ws, limit=50).changesets)
    finally:
        ws.close()


def _agree(url: str) -> list[tuple[str | None, Any]]:
    """Each change set's actor and set-based plan (None: row by row), checked against the row-by-row plan."""
    ws = Workspace(Settings(url, (), Config()))
    try:
        return [(cs.actor, reverts_agree(ws, cs.id, 5.0)) for cs in list_changes(ws, limit=50).changesets]
    finally:
        ws.close()


def test_every_set_plans_set_based_as_row_by_row(sqlite_or_pg_backend: str, story_clone: StoryClone) -> None:
    """The story's sets (creates, updates, a touch, a custom event, a destroy, a re-create of the same id, STI
    records) and hank's batch (a user updated twice, one created then updated and changed again by ivan, a post
    created and destroyed, a user destroyed, an STI record created)."""
    plans = _agree(_clone(story_clone, sqlite_or_pg_backend))
    assert len(plans) == 13
    assert [a for a, p in plans if p is None] == ["judy"]  # see test_rows_disagreeing_on_a_json_column...
    (batch,) = [p for a, p in plans if a == "hank"]
    assert batch.counts() == (1, 3, 2)  # bea re-inserted; ann, the post, the widget restored; cy and gizmo deleted
    assert any(c.actor == "ivan" for c in batch.conflicts) and any("already gone" in s for s in batch.skipped)


def _documents(url: str) -> list[str]:
    """Every version row but its id and time, its documents decoded without updated_at (stamped by the write)."""
    out = []
    for name in VERSIONS:
        for r in rows(url, name):
            docs = {c: codec.parse(r[c]) for c in ("object", "object_changes")}
            clean = {c: {k: v for k, v in d.items() if k != "updated_at"} if isinstance(d, dict) else d
                     for c, d in docs.items()}
            out.append(repr(({k: v for k, v in r.items() if k not in ("id", "created_at", *clean)}, clean)))
    return sorted(out)


def _library(url: str, save: tuple[str, str] | None = None) -> Any:
    """PaperTrail's own reading, but for version ids, times and updated_at (stamped by the write)."""
    reading = paper_trail.reading(url, save)

    def plain(values: Any) -> Any:
        return values if values is None else {k: v for k, v in values.items() if k != "updated_at"}

    timelines = {t: {k: [(e["op"], e["actor"], plain(e["values"])) for e in entries]
                     for k, entries in records.items()} for t, records in reading["timelines"].items()}
    return timelines, {t: {k: plain(v) for k, v in live.items()} for t, live in reading["live"].items()}, reading


def test_a_batch_written_set_based_is_what_row_by_row_writes(backend: str, story_clone: StoryClone,
                                                             runner: CliRunner, tmp_path: Path) -> None:
    url = _clone(story_clone, backend)
    other = _clone(story_clone, backend)
    (batch,) = [cs for cs in _sets(url) if cs.actor == "hank"]
    ws = Workspace(Settings(url, (), Config()))
    try:
        assert reverts_agree(ws, batch.id, 5.0) is not None
    finally:
        ws.close()
    done = chrono(runner, url, "-f", "json", "revert", batch.id, "--force", "--actor", "ops", "--yes")
    assert done.exit_code == 0, done.output
    assert '"set_based": true' in done.stdout
    assert revert_row_by_row(other, batch.id, actor="ops").items
    for name in LIVE:
        assert _texts(url, name) == _texts(other, name), name
    assert _documents(url) == _documents(other)

    timelines, live, reading = _library(url, save=("app_users", "2"))
    assert (timelines, live) == _library(other)[:2]
    users = reading["after"]["app_users"]
    assert [(e["op"], e["actor"]) for e in users["2"][-3:]] == [("delete", "hank"), ("insert", "ops"),
                                                                 ("update", None)]  # re-inserted, then saved
    assert reading["saved"] == {"name": "Bea again (saved)"} and users["1"][-1]["actor"] == "ops"
    assert live["app_users"]["1"]["name"] == "Ann B" and reading["live"]["stock_items"]["2"] is None
    assert [e["op"] for e in reading["timelines"]["stock_items"]["2"]] == ["insert", "delete"]


def test_rows_disagreeing_on_a_json_column_revert_row_by_row(backend: str, story_clone: StoryClone,
                                                            runner: CliRunner) -> None:
    """judy's set: ann's settings changed, cy's bio. Restored set-based, cy's settings (a JSON column, stored as
    text of its own) would be written back with ann's, re-serialized; the row-by-row revert writes only what
    changes. So the set is reverted row by row."""
    url = _clone(story_clone, backend)
    (judy,) = [cs for cs in _sets(url) if cs.actor == "judy"]
    ws = Workspace(Settings(url, (), Config()))
    try:
        assert reverts_agree(ws, judy.id, 5.0) is None
    finally:
        ws.close()
    settings = {r["id"]: r["settings"] for r in _texts(url, "app_users")}
    done = chrono(runner, url, "-f", "json", "revert", judy.id, "--yes")
    assert done.exit_code == 0, done.output
    assert '"set_based"' not in done.stdout
    after = {r["id"]: r["settings"] for r in _texts(url, "app_users")}
    assert after["1"] != settings["1"] and {k: v for k, v in after.items() if k != "1"} \
        == {k: v for k, v in settings.items() if k != "1"}  # ann's changed, cy's text as it was


def test_a_row_by_row_revert_plan_is_refused_when_a_row_changed_meanwhile(sqlite_or_pg_backend: str,
                                                                          story_clone: StoryClone, runner: CliRunner,
                                                                          tmp_path: Path) -> None:
    """judy's set goes row by row (above): its plan file is the row-by-row document, whose per-row items
    'chrono apply' re-checks."""
    url = _clone(story_clone, sqlite_or_pg_backend)
    (judy,) = [cs for cs in _sets(url) if cs.actor == "judy"]
    plan = tmp_path / "undo.json"
    made = chrono(runner, url, "revert", judy.id, "--plan", str(plan))
    assert made.exit_code == 0, made.output
    doc = json.loads(plan.read_text(encoding="utf-8"))
    assert doc["format"] == "chrono-plan" and {i["key"]["id"] for i in doc["items"]} == {1, 3}
    execute(url, "UPDATE app_users SET name = 'meanwhile' WHERE id = 3")
    untouched = checksum(url)
    stale = chrono(runner, url, "apply", str(plan), "--yes")
    assert stale.exit_code == 6 and "changed since the plan was made" in stale.stderr, stale.output
    assert checksum(url) == untouched


def _texts(url: str, table: str) -> list[dict[str, str | None]]:
    """Every row of ``table`` as the database holds its text (a JSON value as written, not as parsed), by key;
    ``updated_at`` aside (stamped by the write). A JSON ``null`` and SQL NULL differ: both writers bind None as
    SQL NULL, as Rails writes nil."""
    engine = create_engine(url)
    t = Table(table, MetaData(), autoload_with=engine)
    names = [c.name for c in t.columns if c.name != "updated_at"]
    with engine.connect() as conn:
        found = [dict(zip(names, r, strict=True))
                 for r in conn.execute(select(*(cast(t.c[n], Text) for n in names)).order_by(*t.primary_key.columns))]
    engine.dispose()
    return found


def test_a_store_without_object_changes_reverts_row_by_row(sqlite_or_pg_backend: str, story_clone: StoryClone,
                                                           runner: CliRunner) -> None:
    """Without ``object_changes`` every update reads as a touch (its object the state after it): the set-based
    answer is not attempted, and the revert is written row by row."""
    url = _clone(story_clone, sqlite_or_pg_backend)
    execute(url, "ALTER TABLE versions DROP COLUMN object_changes")
    plans = _agree(url)
    by_actor = dict(plans)
    assert by_actor["hank"] is None and by_actor["gina"] is not None  # gina's set is in json_versions only
    (batch,) = [cs for cs in _sets(url) if cs.actor == "hank"]
    done = chrono(runner, url, "-f", "json", "revert", batch.id, "--force", "--yes")
    assert done.exit_code == 0, done.output
    assert '"set_based"' not in done.stdout


def test_times_in_an_undeclared_zone_plan_alike(sqlite_or_pg_url: str) -> None:
    """An application keeping local time, chrono not told: every version notes the skew, and the set-based plans
    still find each set's versions as the row-by-row revert does."""
    paper_trail.story(sqlite_or_pg_url, local_zone=LOCAL)
    plans = _agree(sqlite_or_pg_url)
    assert plans and all(p is not None for _, p in plans)
