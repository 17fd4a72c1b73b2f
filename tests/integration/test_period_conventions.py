"""The periods extension and temporal_tables beyond the conformance suite: show --at, diff, blame, undelete,
revert, set-based restore, refusals, and check-migrations' findings with their --suggest DDL.

The periods story runs the real extension (Debian's postgresql-15-periods); temporal_tables cannot be installed
here, so its story uses the test suite's own ``versioning()`` trigger function that follows nearform's
documented behaviour (tests/support/period_stories.py). Every expected value is the extension's (or the
trigger's) own reading: the ``_with_history`` view, or the history table and the base by plain SQL
(tests/conformance/readers.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from typer.testing import CliRunner

from tests.conformance import readers
from tests.conformance.test_conformance import canon
from tests.conftest import StoryClone
from tests.integration.restore_support import chrono
from tests.support.period_stories import periods_story, temporal_tables_story

STORIES = {"periods": (periods_story, readers.periods), "temporal-tables": (temporal_tables_story,
                                                                              readers.temporal_tables)}
TRIGGER = {"periods": "contract_system_time_write_history", "temporal-tables": "versioning_trigger"}
CONFIG = {"periods": "", "temporal-tables": '[tables.contract]\nunrecorded = ["visits"]\n'}


@pytest.fixture(params=list(STORIES))
def convention(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _clone(story_clone: StoryClone, convention: str, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    build, read = STORIES[convention]

    def run(url: str) -> dict[str, Any]:
        build(url)
        return read(url, tmp_path)

    return story_clone("postgresql", "period_" + convention.replace("-", "_"), run)


def _json(runner: CliRunner, url: str, *args: str, config: Path | None = None) -> Any:
    result = chrono(runner, url, "-f", "json", *args, config=config)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _config(tmp_path: Path, convention: str) -> Path:
    path = tmp_path / "chrono.toml"
    path.write_text(CONFIG[convention], encoding="utf-8")
    return path


def _values(values: dict[str, Any] | None) -> Any:
    return canon({c: v for c, v in (values or {}).items() if c != "visits"})


def _sql(url: str, *statements: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for s in statements:
            conn.exec_driver_sql(s)
    engine.dispose()


def test_show_at_diff_and_blame_follow_the_library(convention: str, story_clone: StoryClone, runner: CliRunner,
                                                   tmp_path: Path) -> None:
    url, reading = _clone(story_clone, convention, tmp_path)
    explained = {t["table"]: t for t in _json(runner, url, "tables", "--explain")["tables"]}
    evidence = explained["public.contract"]["evidence"][convention]
    assert explained["public.contract"]["history"] == ["public.contract_history"]
    assert any(TRIGGER[convention] in line and "enabled" in line if convention == "periods" else
               TRIGGER[convention] in line for line in evidence)
    assert any("visits" in line and "not recorded" in line for line in evidence)
    entries = reading["timelines"]["contract"]["1"]
    for entry in entries:  # the state valid at each period's start, and the two updates of one transaction as one
        shown = _json(runner, url, "show", "contract", "1", "--at", entry["at"])["version"]
        assert _values(shown["values"]) == _values(entry["values"])
    assert [e["values"]["title"] for e in entries].count("Vertrag 2 — ü") == len(entries) - 2
    diff = _json(runner, url, "diff", "contract", "1", "1", "3")
    changed = {c["column"]: (c["old"], c["new"]) for c in diff["changes"]}
    assert canon(changed) == canon({c: (entries[0]["values"][c], entries[2]["values"][c])
                                    for c in ("title", "amount", "meta", "note")})
    blame = {row["column"]: row for row in _json(runner, url, "blame", "contract", "1")["columns"]}
    assert canon(blame["note"]["at"]) == canon(entries[1]["at"])  # set by the second period, unchanged since
    assert canon(blame["title"]["at"]) == canon(entries[2]["at"])


def test_undelete_and_revert_write_only_the_base_table(convention: str, story_clone: StoryClone,
                                                       runner: CliRunner, tmp_path: Path) -> None:
    url, reading = _clone(story_clone, convention, tmp_path)
    config = _config(tmp_path, convention)
    done = chrono(runner, url, "restore", "contract", "3", "--yes", config=config)  # deleted: its last state back
    assert done.exit_code == 0, done.output
    assert "chrono writes only public.contract and never public.contract_history" in done.stderr
    after = readers.periods(url, tmp_path) if convention == "periods" else readers.temporal_tables(url, tmp_path)
    three = after["timelines"]["contract"]["3"]
    assert [e["op"] for e in three] == [None, "delete", None]  # the gap stays: the deletion is kept
    assert _values(after["live"]["contract"]["3"]) == _values(reading["timelines"]["contract"]["3"][0]["values"])

    sets = _json(runner, url, "changes", "--window", "0", config=config)["changesets"]
    update = next(s for s in sets if [(c["key"], c["operation"]) for c in s["changes"]] == [({"id": 2}, "update")]
                  and any(c["column"] == "amount" for c in s["changes"][0]["changes"]))
    done = chrono(runner, url, "revert", update["id"], "--yes", config=config)
    assert done.exit_code == 0, done.output
    two = (readers.periods if convention == "periods" else readers.temporal_tables)(url, tmp_path)
    before = reading["timelines"]["contract"]["2"]
    assert _values(two["live"]["contract"]["2"]) == _values(before[-2]["values"])  # the state before that update
    assert two["timelines"]["contract"]["2"][:len(before)] == before


def test_bulk_restore_to_a_time(convention: str, story_clone: StoryClone, runner: CliRunner, tmp_path: Path) -> None:
    url, reading = _clone(story_clone, convention, tmp_path)
    config = _config(tmp_path, convention)
    first = reading["timelines"]["contract"]["1"][0]["at"]  # the story's first transaction: rows 1 and 2 inserted
    _sql(url, "INSERT INTO contract (id, title) VALUES (4, 'created after')")
    args = ["restore", "contract", "--at", first, "--all-changed-since", first]
    plan = _json(runner, url, *args, "--dry-run", config=config)
    assert {(r["key"]["id"], r["action"]) for r in plan["rows"]} == {(1, "restore"), (2, "restore")}
    labels = [s["label"] for s in plan["statements"]]
    assert len(labels) == 2 and all("chrono writes no history row" in label for label in labels)
    # row 4 began after the time (no history row holds it); row 3 was created and deleted after it
    assert plan["skipped"] == {"created after the time (chrono revert removes created rows)": 1,
                               "absent then and now": 1}
    done = chrono(runner, url, *args, "--yes", config=config)
    assert done.exit_code == 0, done.output
    after = (readers.periods if convention == "periods" else readers.temporal_tables)(url, tmp_path)
    for key in ("1", "2"):
        assert _values(after["live"]["contract"][key]) == _values(reading["timelines"]["contract"][key][0]["values"])
        old = reading["timelines"]["contract"][key]
        assert after["timelines"]["contract"][key][:len(old)] == old  # every earlier state kept


def test_a_disabled_trigger_refuses_writes_and_is_reported(convention: str, story_clone: StoryClone,
                                                           runner: CliRunner, tmp_path: Path) -> None:
    url, _ = _clone(story_clone, convention, tmp_path)
    config = _config(tmp_path, convention)
    _sql(url, f"ALTER TABLE contract DISABLE TRIGGER {TRIGGER[convention]}")
    refused = chrono(runner, url, "restore", "contract", "1", "--version", "1", "--yes", config=config)
    assert refused.exit_code == 6, refused.output
    assert TRIGGER[convention] in refused.stderr and refused.stdout == ""
    doc = _json_check(runner, url, config, "--suggest")
    (finding,) = doc["findings"]
    assert (finding["kind"], finding["severity"], finding["table"]) == ("trigger", "error", "public.contract")
    assert finding["fix"]["ddl"] == [f"ALTER TABLE contract ENABLE TRIGGER {TRIGGER[convention]}"]
    _sql(url, *finding["fix"]["ddl"])
    assert _json_check(runner, url, config)["findings"] == []


def _json_check(runner: CliRunner, url: str, config: Path, *args: str) -> Any:
    result = chrono(runner, url, "-f", "json", "check-migrations", "--strict", *args, config=config)
    assert result.exit_code in (0, 3), result.output
    return json.loads(result.stdout)


def test_temporal_tables_drift_and_its_fixes(story_clone: StoryClone, runner: CliRunner, tmp_path: Path) -> None:
    url, _ = _clone(story_clone, "temporal-tables", tmp_path)
    config = _config(tmp_path, "temporal-tables")
    _sql(url, "DROP TRIGGER memo_versioning ON memo",
         "ALTER TABLE contract_history ALTER COLUMN title TYPE varchar(5) USING left(title, 5)",
         "ALTER TABLE contract ADD COLUMN nickname text")
    doc = _json_check(runner, url, config, "--suggest")
    found = {(f["kind"], f["severity"], f["target"], f["column"]): f["fix"]["ddl"] for f in doc["findings"]}
    assert found == {
        ("trigger", "error", "public.memo", None): [
            "CREATE TRIGGER versioning_trigger BEFORE INSERT OR UPDATE OR DELETE ON memo FOR EACH ROW "
            "EXECUTE PROCEDURE versioning('sys_period', 'memo_history', 'true')"],
        ("type-narrowed", "error", "public.contract_history", "title"): [
            "ALTER TABLE contract_history ALTER COLUMN title TYPE TEXT"],
        ("missing-column", "warning", "public.contract_history", "nickname"): [
            "ALTER TABLE contract_history ADD COLUMN nickname TEXT"],
    }
    refused = chrono(runner, url, "restore", "memo", "m1", "--version", "1", "--yes", config=config)
    assert refused.exit_code == 6 and "no versioning() trigger" in refused.stderr, refused.output
    _sql(url, *[s for ddl in found.values() for s in ddl])
    assert _json_check(runner, url, config)["findings"] == []


def test_periods_history_out_of_step(story_clone: StoryClone, runner: CliRunner, tmp_path: Path) -> None:
    url, _ = _clone(story_clone, "periods", tmp_path)
    config = _config(tmp_path, "periods")
    _sql(url, "ALTER TABLE memo ADD COLUMN tag varchar(10)")  # allowed while versioning is on: not archived
    doc = _json_check(runner, url, config, "--suggest")
    (finding,) = doc["findings"]
    assert (finding["kind"], finding["severity"], finding["target"], finding["column"]) == (
        "missing-column", "error", "public.memo_history", "tag")
    assert finding["fix"]["ddl"] == ["ALTER TABLE memo_history ADD COLUMN tag VARCHAR(10)"]
    shown = chrono(runner, url, "history", "memo", "m1", config=config)
    assert shown.exit_code == 0 and "does not match" in shown.stderr  # read anyway, with the drift said


def test_periods_show_at_pushed_down_equals_the_timeline(story_clone: StoryClone, tmp_path: Path) -> None:
    """``show --at`` on the periods extension asks its ``<t>__as_of`` function for the state and answers exactly
    what the whole timeline answers: before the first state, at and inside each state, in the deletion gap of
    key 2, and after key 3's deletion."""
    from datetime import timedelta

    from chrono_cli.config import Config
    from chrono_cli.errors import VersionNotFound
    from chrono_cli.render.documents import document
    from chrono_cli.services.history import load_timeline
    from chrono_cli.services.select import at_time, record_at
    from chrono_cli.services.target import open_target
    from chrono_cli.services.workspace import Settings, Workspace

    url, _ = _clone(story_clone, "periods", tmp_path)
    ws = Workspace(Settings(url, (), Config()))
    try:
        with ws.catalog() as cat:
            target = open_target(cat, "contract")
            for key in ("1", "2", "3"):
                full = load_timeline(cat, target, key)
                bounds = sorted({t for v in full.versions for t in (v.valid_from, v.valid_to) if t is not None})
                times = [bounds[0] - timedelta(seconds=1), *bounds, bounds[-1] + timedelta(seconds=1),
                         *(a + (b - a) / 2 for a, b in zip(bounds, bounds[1:], strict=False))]
                kinds = set()
                for at in times:
                    try:
                        expected: Any = document(record_at(full, at_time(full, at)))
                    except VersionNotFound as e:
                        expected = str(e)
                    pushed = load_timeline(cat, target, key, at=at)
                    try:
                        got: Any = document(record_at(pushed, at_time(pushed, at)))
                    except VersionNotFound as e:
                        got = str(e)
                    assert got == expected, (key, at)
                    if not isinstance(expected, str):
                        assert len(pushed.versions) <= 2  # answered by __as_of, not by the whole timeline
                        kinds.add("state")
                    else:
                        kinds.add("gap" if "did not exist" in expected else "before")
                assert "state" in kinds and "before" in kinds
                if key in ("2", "3"):
                    assert "gap" in kinds, key  # key 2 deleted and re-created, key 3 deleted
    finally:
        ws.close()
