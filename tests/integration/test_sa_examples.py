"""Timelines of histories written by SQLAlchemy's own versioning examples, on SQLite, PostgreSQL and MariaDB.

tests/support/stories.py drives the unmodified example code (fetched from the SQLAlchemy sdist) and
records what the application did; every assertion compares chrono's reading with that record.
"""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from chrono_cli.render.encode import to_json
from tests.conftest import StoryClone, invoke
from tests.integration.restore_support import history_meta_clone
from tests.support.stories import versioned_rows_story


def _history(runner: CliRunner, url: str, table: str, key: str) -> dict[str, Any]:
    result = invoke(runner, ["--db", url, "-f", "json", "history", table, key], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _show(runner: CliRunner, url: str, *args: str) -> dict[str, Any]:
    result = invoke(runner, ["--db", url, "-f", "json", "show", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _same_values(chrono: dict[str, Any], state: dict[str, Any]) -> bool:
    wanted = to_json(state)
    got = {k: v for k, v in chrono.items() if k in wanted}
    for k in wanted:  # decimals: 12.5 == 12.50 however the backend renders the scale
        if isinstance(wanted[k], str) and isinstance(got.get(k), str) and k in ("balance", "amount"):
            from decimal import Decimal
            got[k], wanted[k] = str(Decimal(got[k]).normalize()), str(Decimal(wanted[k]).normalize())
        if isinstance(wanted[k], str) and isinstance(got.get(k), str) and "T" in wanted[k] and ":" in wanted[k]:
            got[k], wanted[k] = got[k][:19], wanted[k][:19]  # naive column vs aware app value
    return got == wanted


def test_history_meta_timelines(runner: CliRunner, backend: str, story_clone: StoryClone) -> None:
    db_url, record = history_meta_clone(story_clone, backend)
    for key, steps in record["timelines"]["appuser"].items():
        doc = _history(runner, db_url, "appuser", str(key))
        assert doc["convention"] == "history-meta"
        states = [s for s in steps if s["op"] != "delete"]
        recorded = [v for v in doc["versions"] if v["operation"] != "delete"]
        assert len(recorded) == len(states), (key, doc["versions"])
        for step, v in zip(states, recorded, strict=True):
            assert _same_values(v["values"], step["state"]), (key, step, v)
            assert v["version"] == step["version"]
        # every superseded version ends exactly when the app changed it (synthetic clock = stored `changed`)
        for step, v in zip(states, recorded, strict=True):
            later = [s for s in steps if s["seq"] > step["seq"] and s["op"] in ("update", "delete")]
            if later:
                assert v["valid_to"][:19] == later[0]["at"].isoformat()[:19]
            else:
                assert v["valid_to"] is None
        if steps[-1]["op"] == "delete":
            assert doc["versions"][-1]["operation"] == "delete" and doc["versions"][-1]["values"] is None
        else:
            assert doc["versions"][-1]["current"] is True


def test_history_meta_state_at_each_probe(runner: CliRunner, backend: str, story_clone: StoryClone) -> None:
    db_url, record = history_meta_clone(story_clone, backend)
    steps = record["timelines"]["appuser"][1]
    for step in steps[1:]:
        doc = _show(runner, db_url, "appuser", "1", "--at", step["probe_at"].isoformat())
        assert _same_values(doc["version"]["values"], step["state"])


def test_history_meta_single_table_inheritance(runner: CliRunner, backend: str, story_clone: StoryClone) -> None:
    db_url, record = history_meta_clone(story_clone, backend)
    doc = _history(runner, db_url, "manager", "2")
    assert doc["table"].endswith("employee") and doc["type"] == "manager"
    steps = record["timelines"]["employee"][2]
    gaps = {(m["version"], m["column"]) for m in record["history_mismatches"] if m["key"] == 2}
    for step, v in zip(steps, doc["versions"], strict=True):
        state = {k: val for k, val in step["state"].items() if (v["version"], k) not in gaps}
        assert _same_values(v["values"], state)
        for version, column in gaps:  # the library stored NULL there; chrono shows what was stored
            if version == v["version"]:
                assert v["values"][column] is None
    wrong = invoke(runner, ["--db", db_url, "history", "manager", "1"])
    assert wrong.exit_code == 4 and "is a 'engineer', not a 'manager'" in wrong.stderr


def test_history_meta_near_miss_and_tables(runner: CliRunner, backend: str, story_clone: StoryClone) -> None:
    db_url, _ = history_meta_clone(story_clone, backend)
    doc = json.loads(invoke(runner, ["--db", db_url, "-f", "json", "tables", "--counts"]).stdout)
    by_name = {t["table"].rsplit(".", 1)[-1]: t for t in doc["tables"]}
    assert set(by_name) == {"appuser", "employee"}
    assert by_name["appuser"]["conventions"] == ["history-meta"]


def test_versioned_rows_timelines(runner: CliRunner, db_url: str) -> None:
    record = versioned_rows_story(db_url)
    for key, steps in record["timelines"]["price"].items():
        doc = _history(runner, db_url, "price", str(key))
        assert doc["convention"] == "versioned-rows" and doc["history"] is None
        states = [s for s in steps if s["op"] != "delete"]
        if steps[-1]["op"] == "delete":
            states = states[:-1]  # an ORM delete removes the current version's row: that state is gone
        recorded = [v for v in doc["versions"] if v["operation"] != "delete"]
        assert [v["version"] for v in recorded] == [s["version"] for s in states]
        for step, v in zip(states, recorded, strict=True):
            assert _same_values(v["values"], step["state"])
        if steps[-1]["op"] == "delete":
            assert doc["versions"][-1]["operation"] == "delete"
        else:
            assert doc["versions"][-1]["current"] is True
    result = invoke(runner, ["--db", db_url, "show", "price", "1", "--at", "2h"])
    assert result.exit_code == 2 and "stores no timestamps" in result.stderr
