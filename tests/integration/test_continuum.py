"""Timelines of histories written by the real SQLAlchemy-Continuum, on SQLite and PostgreSQL.

tests/support/continuum_story.py drives Continuum in a subprocess (``make_versioned()`` is process-global) and
records what the application did; every assertion compares chrono's reading with that record.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT, invoke

pytest.importorskip("sqlalchemy_continuum")

KEYS = ("1", "2", "3")


def _story(url: str, tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "record.json"
    proc = subprocess.run([sys.executable, "-m", "tests.support.continuum_story", url, str(out), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(out.read_text(encoding="utf-8"))


def _json(runner: CliRunner, url: str, *args: str) -> Any:
    result = invoke(runner, ["--db", url, "-f", "json", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _utc(text: str | None) -> datetime | None:
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _norm(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {k: str(Decimal(v).normalize()) if k == "score" and v is not None else v for k, v in values.items()}


def expected_timeline(record: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """What Continuum should have recorded for article ``key``, derived from the app's steps."""
    out: list[dict[str, Any]] = []
    state: dict[str, Any] | None = None
    tags: list[int] = []
    has_tags = any(s["tags"][key] for s in record["steps"])
    for step in record["steps"]:
        new_state, new_tags = step["articles"][key], step["tags"][key]
        ops = step["ops"].get(key, [])
        changed = new_state != state or "delete" in ops or ops[:1] == ["insert"]
        if step["tx"] is None:
            assert new_state == state and new_tags == tags, step  # nothing versioned, nothing changed
            continue
        if not (ops and changed) and new_tags == tags:
            continue
        if ops and changed:
            op = ("delete" if new_state is None else "insert" if ops == ["insert"] else "update")
        else:
            op = "update"  # a membership-only transaction
        values = None if new_state is None else {**new_state, **({"tag": new_tags} if has_tags else {})}
        note = []
        added, removed = sorted(set(new_tags) - set(tags)), sorted(set(tags) - set(new_tags))
        if added or removed:
            note.append("tag: " + " ".join([f"+{t}" for t in added] + [f"-{t}" for t in removed]))
        reason = step["meta"].get("reason") or step["meta"].get("comment")
        out.append({"version": step["tx"], "operation": op, "values": values, "actor": step["actor"],
                    "reason": reason, "at": step["issued_at"], "step": step, "note": note})
        state, tags = new_state, new_tags
    return out


def assert_timeline(doc: dict[str, Any], expected: list[dict[str, Any]], *, deleted: bool) -> None:
    got = doc["versions"]
    assert [(v["version"], v["operation"]) for v in got] == [(e["version"], e["operation"]) for e in expected]
    for i, (v, e) in enumerate(zip(got, expected, strict=True)):
        assert _norm(v["values"]) == _norm(e["values"]), (v, e["step"]["label"])
        assert (v["actor"], v["reason"]) == (e["actor"], e["reason"]), e["step"]["label"]
        assert _utc(v["valid_from"]) == _utc(e["at"])
        assert _utc(e["step"]["started"]) <= _utc(v["valid_from"]) <= _utc(e["step"]["finished"])
        assert _utc(v["valid_to"]) == (_utc(expected[i + 1]["at"]) if i + 1 < len(expected) else None)
        assert v["unrecorded"] == ([] if v["values"] is None else ["views"])
        for part in e["note"]:
            assert part in (v.get("note") or ""), (v, part)
        assert v["current"] is (not deleted and i == len(expected) - 1)


@pytest.mark.parametrize("variant", [("--strategy", "validity"), ("--strategy", "subquery", "--no-user")],
                         ids=["validity-user", "subquery-no-user"])
def test_continuum_timelines(runner: CliRunner, sqlite_or_pg_url: str, tmp_path: Path,
                             variant: tuple[str, ...]) -> None:
    record = _story(sqlite_or_pg_url, tmp_path, *variant)
    assert [s["tx"] for s in record["steps"]].count(None) == 2  # excluded-only update, no-op save
    for key in KEYS:
        doc = _json(runner, sqlite_or_pg_url, "history", "article", key)
        assert doc["convention"] == "continuum" and doc["history"].endswith("article_version")
        final = record["steps"][-1]["articles"][key]
        assert_timeline(doc, expected_timeline(record, key), deleted=final is None)
    first = _json(runner, sqlite_or_pg_url, "history", "article", "3")["versions"][0]
    assert first["operation"] == "update" and "first recorded version is an update" in first["note"]
    assert "changed per _mod flags: name, content, score" in first["note"]
    edit = next(v for v in _json(runner, sqlite_or_pg_url, "history", "article", "1")["versions"]
                if v["reason"] == "fix typo")
    assert "meta: ticket=T-1" in edit["note"] and "remote_addr 10.0.0.7" in edit["note"]


def test_continuum_detection_and_state_at_time(runner: CliRunner, sqlite_or_pg_url: str, tmp_path: Path) -> None:
    record = _story(sqlite_or_pg_url, tmp_path)
    doc = _json(runner, sqlite_or_pg_url, "tables", "--explain")
    by_name = {t["table"].rsplit(".", 1)[-1]: t for t in doc["tables"]}
    assert set(by_name) == {"article", "tag", "article_tag"}
    evidence = by_name["article"]["evidence"]["continuum"]
    assert any("validity strategy" in e for e in evidence)
    assert any("actor: transaction.user_id shown as user.username" in e for e in evidence)
    assert any("shown as tag" in e for e in evidence)
    # the state right after each step that versioned article 1 (times are the transactions' issued_at)
    for step in record["steps"]:
        if step["tx"] is None or step["articles"]["1"] is None:
            continue
        shown = _json(runner, sqlite_or_pg_url, "show", "article", "1", "--at", step["issued_at"] + "+00:00")
        values = shown["version"]["values"]
        assert _norm({k: values[k] for k in step["articles"]["1"]}) == _norm(step["articles"]["1"])
        assert values["tag"] == step["tags"]["1"]
    diff = _json(runner, sqlite_or_pg_url, "diff", "article", "1", "#1", "#3")
    assert {c["column"]: (c["old"], c["new"]) for c in diff["changes"]} == {
        "name": ("First", "First!"), "tag": ([], [3, 5])}


@pytest.mark.pg
def test_continuum_native_versioning(runner: CliRunner, pg_url: str, tmp_path: Path) -> None:
    record = _story(pg_url, tmp_path, "--native")
    doc = _json(runner, pg_url, "tables", "--explain")
    evidence = {t["table"].rsplit(".", 1)[-1]: t["evidence"]["continuum"] for t in doc["tables"]}
    assert any("native versioning: trigger article_trigger -> article_audit() (enabled)" in e
               for e in evidence["article"])
    for key in KEYS:
        doc = _json(runner, pg_url, "history", "article", key)
        final = record["steps"][-1]["articles"][key]
        assert_timeline(doc, expected_timeline(record, key), deleted=final is None)
