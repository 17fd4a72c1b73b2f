"""Reads of histories written by SQLAlchemy's own versioning examples, on SQLite, PostgreSQL and MariaDB.

tests/support/stories.py drives the unmodified example code (fetched from the SQLAlchemy sdist) and
records what the application did; every assertion compares chrono's reading with that record. Whole
timelines against the library's own reading are in tests/conformance (history-meta, versioned-rows).
"""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from chrono_cli.render.encode import to_json
from tests.conftest import StoryClone, invoke
from tests.integration.restore_support import history_meta_clone


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
        # a subclass column NULL in every history row is shown as not recorded (unknown), never as a value
        state = {k: val for k, val in step["state"].items()
                 if (v["version"], k) not in gaps and k not in v["unrecorded"]}
        assert _same_values(v["values"], state)
        for version, column in gaps:  # the library never writes these columns: not recorded, never "NULL"
            if version == v["version"]:
                assert column not in v["values"] and column in v["unrecorded"]
    wrong = invoke(runner, ["--db", db_url, "history", "manager", "1"])
    assert wrong.exit_code == 4 and "is a 'engineer', not a 'manager'" in wrong.stderr


def test_history_meta_near_miss_and_tables(runner: CliRunner, backend: str, story_clone: StoryClone) -> None:
    db_url, _ = history_meta_clone(story_clone, backend)
    doc = json.loads(invoke(runner, ["--db", db_url, "-f", "json", "tables", "--counts"]).stdout)
    by_name = {t["table"].rsplit(".", 1)[-1]: t for t in doc["tables"]}
    assert set(by_name) == {"appuser", "employee"}
    assert by_name["appuser"]["conventions"] == ["history-meta"]
