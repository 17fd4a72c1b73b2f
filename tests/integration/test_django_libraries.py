"""django-reversion and django-auditlog beyond the conformance suite: actor and reason, revert of a revision,
undelete, a gap in auditlog's differences, a masked field, a table mapped by config.

The stories are the conformance suite's (tests/support/reversion_story.py, auditlog_story.py: the real
libraries write them, built once per run); after chrono writes, the same scripts read the history back
through the library and make its next ordinary save. Deleting a row with SQL stands for a delete the
library does not see (reversion records none; auditlog misses raw SQL).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import auditlog  # noqa: F401  (test-extra libraries: an import error fails the run)
import reversion  # noqa: F401
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from tests.conftest import StoryClone
from tests.integration.restore_support import chrono, rows, run_support


def _story(story_clone: StoryClone, backend: str, module: str) -> str:
    """A private copy of the conformance story of ``module`` (shared with tests/conformance)."""
    return _story_read(story_clone, backend, module)[0]


def _story_read(story_clone: StoryClone, backend: str, module: str) -> tuple[str, dict[str, Any]]:
    """``_story`` and the library's reading of the story as built."""
    def build(url: str) -> dict[str, Any]:
        with tempfile.TemporaryDirectory() as tmp:
            reading = run_support(module, url, Path(tmp), "--build")
        return {"story": reading.pop("story"), "reading": reading}

    name = module.removesuffix("_story")
    url, built = story_clone(backend, f"conformance_{name}", build)
    return url, built["reading"]


def _sql(url: str, statement: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


def _history(runner: CliRunner, url: str, *args: str) -> list[dict[str, Any]]:
    result = chrono(runner, url, "-f", "json", "history", *args)
    assert result.exit_code == 0, result.output
    versions: list[dict[str, Any]] = json.loads(result.stdout)["versions"]
    return versions


def test_reversion_restore_revert_and_undelete(runner: CliRunner, sqlite_or_pg_backend: str,
                                               story_clone: StoryClone, tmp_path: Path) -> None:
    url = _story(story_clone, sqlite_or_pg_backend, "reversion_story")
    revisions = len(rows(url, "reversion_revision"))
    revert = chrono(runner, url, "-f", "json", "revert", "2", "--yes")  # item repriced + maker followed
    assert revert.exit_code == 6 and "changed again after the change set" in revert.stderr  # later revisions
    revert = chrono(runner, url, "-f", "json", "revert", "2", "--yes", "--force")
    assert revert.exit_code == 0, revert.output
    assert [i["key"] for i in json.loads(revert.stdout)["items"]] == [{"id": 1}]  # the maker is as it was
    restored = chrono(runner, url, "restore", "shop_item", "1", "--version", "4", "--actor", "1",
                      "--reason", "seen abroad again", "--yes")
    assert restored.exit_code == 0, restored.output
    _sql(url, "DELETE FROM shop_item WHERE id = 2")  # outside a revision block: reversion records nothing
    listed = json.loads(chrono(runner, url, "-f", "json", "deleted", "shop_item").stdout)
    assert [r["key"] for r in listed["rows"]] == [{"id": 2}]
    refused = chrono(runner, url, "restore", "shop_item", "2", "--yes")  # `internal` was never recorded
    assert refused.exit_code == 6 and "internal: not recorded by the history" in refused.stderr, refused.output
    _sql(url, "DELETE FROM custom_part WHERE id = 1")
    undelete = chrono(runner, url, "restore", "custom_part", "1", "--yes")
    assert undelete.exit_code == 0, undelete.output
    assert len(rows(url, "reversion_revision")) == revisions + 3
    record = run_support("reversion_story", url, tmp_path)
    one = record["timelines"]["shop_item"]["1"]
    assert (one[-2]["reason"], one[-2]["values"]["name"], one[-2]["values"]["price"]) == (
        "chrono revert: change set 2", "Lamp", "10.00")
    assert (one[-1]["actor"], one[-1]["reason"]) == ("alice", "seen abroad again")
    assert one[-1]["values"] == {**one[-2]["values"], **one[3]["values"]} and one[-1]["values"]["maker_id"] is None
    part = record["timelines"]["custom_part"]["1"]
    assert part[-1]["values"] == part[-2]["values"] and record["live"]["custom_part"]["1"]["label"] == "bulb 100W"
    shown = _history(runner, url, "shop_item", "1")
    assert [v["version"] for v in shown] == [e["version"] for e in one]
    assert shown[-1]["actor"] == "alice" and shown[-1]["current"] is True
    changes = json.loads(chrono(runner, url, "-f", "json", "changes", "--limit", "3").stdout)
    assert any(c["id"] == str(one[-2]["version"]) and c["exact"] for c in changes["changesets"])


def test_reversion_table_by_config_model(runner: CliRunner, story_clone: StoryClone, tmp_path: Path) -> None:
    """custom_part is found by its versions' fields; a config ``model`` names it without looking."""
    url = _story(story_clone, "sqlite", "reversion_story")
    config = tmp_path / "chrono.toml"
    config.write_text('[tables.custom_part]\nmodel = "shop.part"\n', encoding="utf-8")
    by_fields = _history(runner, url, "custom_part", "1")
    result = chrono(runner, url, "-f", "json", "history", "custom_part", "1", config=config)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["versions"] == by_fields
    assert [v["values"]["label"] for v in by_fields] == ["bulb", "bulb 100W"]


def test_auditlog_gap_masked_field_actor_and_undelete(runner: CliRunner, sqlite_or_pg_backend: str,
                                                      story_clone: StoryClone, tmp_path: Path) -> None:
    url = _story(story_clone, sqlite_or_pg_backend, "auditlog_story")
    before = _history(runner, url, "shop_item", "1")
    assert all("secret" in v["unrecorded"] and "secret" not in v["values"] for v in before)  # mask_fields
    restored = chrono(runner, url, "restore", "shop_item", "1", "--version", str(before[0]["version"]),
                      "--actor", "1", "--reason", "bad import", "--yes")
    assert restored.exit_code == 0, restored.output
    entry = rows(url, "auditlog_logentry")[-1]
    assert (entry["action"], entry["actor_id"], entry["actor_email"]) == (1, 1, "alice@example.com")
    changes = entry["changes"] if isinstance(entry["changes"], dict) else json.loads(entry["changes"])
    assert changes == {"name": ["Lamp \U0001d11e", "Lamp"], "price": ["12.30", "10.00"],
                       "meta": ['{"n": null, "\\u00fc": "\\ud834\\udd1e"}', '{"k": [1]}'],
                       "seen": ["2026-01-05 07:00:00.123456", "None"], "maker": ["None", "1"]}
    shown = _history(runner, url, "shop_item", "1")
    assert (shown[-1]["actor"], shown[-1]["reason"], shown[-1]["current"]) == ("alice", "bad import", True)

    _sql(url, "UPDATE shop_item SET name = 'Lamp (raw)' WHERE id = 1")  # behind auditlog's back
    record = run_support("auditlog_story", url, tmp_path, "--save", "shop_item", "1")  # then an ordinary save
    assert record["saved"] == {"name": "Lamp (raw) (saved)"}
    gap = _history(runner, url, "shop_item", "1")
    assert gap[-2]["operation"] == "unknown" and "unrecorded change" in gap[-2]["note"]
    assert gap[-2]["values"]["name"] == "Lamp (raw)" and gap[-1]["values"]["name"] == "Lamp (raw) (saved)"

    _sql(url, "DELETE FROM custom_part WHERE id = 1")
    undelete = chrono(runner, url, "restore", "custom_part", "1", "--yes")
    assert undelete.exit_code == 0, undelete.output
    after = run_support("auditlog_story", url, tmp_path)
    part = after["timelines"]["custom_part"]["1"]
    assert [e["op"] for e in part] == ["insert", "update", "insert"]  # the SQL delete was not seen by auditlog
    assert part[-1]["values"] == {"id": 1, "item_id": 1, "label": "bulb 100W"}
    shown = _history(runner, url, "custom_part", "1")
    assert [v["operation"] for v in shown] == ["insert", "update", "unknown", "insert"]  # the unrecorded delete
    assert "unrecorded change" in shown[2]["note"]


def test_pghistory_restore_in_a_context_and_undelete(runner: CliRunner, story_clone: StoryClone,
                                                     tmp_path: Path) -> None:
    url = _story(story_clone, "postgresql", "pghistory_story")
    plan = tmp_path / "plan.json"
    made = chrono(runner, url, "restore", "pgshop_item", "1", "--version", "3", "--actor", "2",
                  "--reason", "undo the price import", "--plan", str(plan))
    assert made.exit_code == 0, made.output
    applied = chrono(runner, url, "-f", "json", "apply", str(plan), "--yes")  # the same context id as planned
    assert applied.exit_code == 0, applied.output
    (item,) = json.loads(applied.stdout)["items"]
    assert [s["label"] for s in item["statements"]] == [
        "pghistory context for the triggers (as pghistory.context() sets it)",
        "live row (its UPDATE trigger writes the event)"]
    (context,) = [r for r in rows(url, "pghistory_context") if r["metadata"].get("reason") == "undo the price import"]
    assert context["metadata"] == {"user": 2, "reason": "undo the price import"}

    gone = json.loads(chrono(runner, url, "-f", "json", "deleted", "custom_pgpart").stdout)  # track(): no deletes
    assert [r["key"] for r in gone["rows"]] == [{"id": 2}]
    undelete = chrono(runner, url, "restore", "custom_pgpart", "2", "--yes")
    assert undelete.exit_code == 0, undelete.output

    record = run_support("pghistory_story", url, tmp_path)
    one = record["timelines"]["pgshop_item"]["1"]
    assert (one[-1]["op"], one[-1]["actor"], one[-1]["reason"]) == ("update", "bob", "undo the price import")
    assert one[-1]["values"] == one[1]["values"]  # pgh_id 3: the "reprice" event
    part = record["timelines"]["custom_pgpart"]["2"]
    assert [e["op"] for e in part] == ["insert", "insert"] and part[-1]["values"] == part[0]["values"]
    shown = _history(runner, url, "custom_pgpart", "2")
    assert [v["operation"] for v in shown] == ["insert", "insert"]
    assert shown[-1]["current"] is True


def test_reversion_restore_follows_the_maker(runner: CliRunner, backend: str,
                                             story_clone: StoryClone, tmp_path: Path) -> None:
    """Item is registered with follow=["maker"]: every revision saving an item with a maker holds the maker's
    version too, so a restore of an item with a maker writes the maker's current state in its revision."""
    url = _story(story_clone, backend, "reversion_story")
    restored = chrono(runner, url, "-f", "json", "restore", "shop_item", "1", "--version", "1", "--yes")
    assert restored.exit_code == 0, restored.output
    (item,) = json.loads(restored.stdout)["items"]
    assert [s["label"] for s in item["statements"]][-1] == \
        "reversion_version: a followed object's current state (reversion's follow)"
    record = run_support("reversion_story", url, tmp_path)["timelines"]
    one, maker = record["shop_item"]["1"], record["shop_maker"]["1"]
    assert one[-1]["values"]["maker_id"] == 1 and one[-1]["version"] == maker[-1]["version"]  # one revision
    assert maker[-1]["values"] == maker[-2]["values"] == {"id": 1, "name": "Acme"}
    again = chrono(runner, url, "-f", "json", "restore", "shop_item", "1", "--version", "4", "--yes")  # no maker
    assert again.exit_code == 0, again.output
    assert run_support("reversion_story", url, tmp_path)["timelines"]["shop_maker"]["1"] == maker


def _in_revision(timelines: dict[str, Any], revision: int) -> list[tuple[str, str]]:
    """(table, key) of every version of ``revision`` in a reading's timelines, sorted."""
    return sorted((table, key) for table, keys in timelines.items() for key, entries in keys.items()
                  for e in entries if e["version"] == revision)


def test_reversion_restore_follows_reverse_relations(runner: CliRunner, backend: str,
                                                     story_clone: StoryClone, tmp_path: Path) -> None:
    """Crate is registered with follow=["bottles", "stickers"] (a reverse foreign key, a many-to-many field),
    Bottle with follow=["crate"], Sticker with follow=["crate_set"] (the reverse side of the many-to-many field):
    a restore's revision holds the same objects as the library's own next save of that object inside
    ``create_revision()`` (recursively: a bottle's crate, then that crate's other bottle and its sticker), each
    once, the followed ones in their current state."""
    url = _story(story_clone, backend, "reversion_story")
    for table, key in (("shop_crate", "1"), ("shop_bottle", "2"), ("shop_sticker", "1")):
        restored = chrono(runner, url, "-f", "json", "restore", table, key, "--version", "p1", "--yes")
        assert restored.exit_code == 0, restored.output
        record = run_support("reversion_story", url, tmp_path, "--save", table, key)
        ours = record["timelines"][table][key][-1]
        theirs = record["after"][table][key][-1]["version"]
        assert ours["values"] == record["timelines"][table][key][0]["values"]
        held = _in_revision(record["timelines"], ours["version"])
        assert held == _in_revision(record["after"], theirs) and len(held) > 1, (held, table)
        for t, k in held:
            if (t, k) != (table, key):
                assert record["timelines"][t][k][-1]["values"] == record["live"][t][k]


def test_reversion_bulk_restore_follows_reverse_relations(runner: CliRunner, backend: str,
                                                          story_clone: StoryClone, tmp_path: Path) -> None:
    """A bulk restore of crates writes, in its one revision, each restored crate and each bottle and sticker of
    those crates once (their follows), as one ``create_revision()`` block saving those crates would."""
    url, reading = _story_read(story_clone, backend, "reversion_story")
    at = reading["timelines"]["shop_crate"]["1"][0]["at"]
    result = chrono(runner, url, "-f", "json", "restore", "shop_crate", "--at", at, "--all-changed-since", at,
                    "--yes")
    assert result.exit_code == 0, result.output
    record = run_support("reversion_story", url, tmp_path)
    timelines, live = record["timelines"], record["live"]
    revision = timelines["shop_crate"]["1"][-1]["version"]
    restored = {k for k, entries in timelines["shop_crate"].items() if entries[-1]["version"] == revision}
    bottles = {k for k, row in live["shop_bottle"].items() if row and str(row["crate_id"]) in restored}
    stickers = {str(r["sticker_id"]) for r in rows(url, "shop_crate_stickers") if str(r["crate_id"]) in restored}
    assert "1" in restored and bottles and stickers and set(live["shop_sticker"]) - stickers
    assert _in_revision(timelines, revision) == sorted(
        [("shop_crate", k) for k in restored] + [("shop_bottle", k) for k in bottles]
        + [("shop_sticker", k) for k in stickers])
    assert timelines["shop_crate"]["1"][-1]["values"]["label"] == "red"
