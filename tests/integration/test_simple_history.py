"""Timelines of histories written by the real django-simple-history, on SQLite, PostgreSQL and MariaDB.

tests/support/simple_history_story.py configures Django in a subprocess (settings are configured once per
process), runs the app in tests/support/djangoapp and records what it did; every assertion compares chrono's
reading with that record.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import simple_history  # noqa: F401  (a test-extra library: an import error fails the run)
from typer.testing import CliRunner

from tests.conftest import StoryClone, invoke
from tests.integration.restore_support import support_clone

TABLES = {"poll": "djangoapp_poll", "choice": "custom_choice_table"}
TYPES = {"+": "insert", "~": "update", "-": "delete"}




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
    """Times as UTC instants (SQLite keeps naive UTC, PostgreSQL timestamptz)."""
    if values is None:
        return None
    return {k: _utc(v) if k == "pub_date" else v for k, v in values.items()}


def expected_timeline(record: dict[str, Any], model: str, key: int) -> tuple[list[dict[str, Any]], bool]:
    """(one entry per history row the app's steps wrote, whether the live row was changed behind its back)."""
    steps = [s for s in record["steps"] if s["model"] == model and s["key"] == key]
    tagged = any(s["tags"] for s in steps)
    out: list[dict[str, Any]] = []
    tags_before: list[int] = []
    for step in steps:
        for row in step["rows"]:
            op = TYPES[row["history_type"]]
            values = None if op == "delete" else {**step["state"], **({"tags": step["tags"]} if tagged else {})}
            note = []
            if op != "delete":
                added = sorted(set(step["tags"]) - set(tags_before))
                removed = sorted(set(tags_before) - set(step["tags"]))
                if added or removed:
                    note.append("tags: " + " ".join([f"+{t}" for t in added] + [f"-{t}" for t in removed]))
                if out and out[-1]["values"] == values:
                    note.append("no change recorded")
                tags_before = step["tags"]
            out.append({"version": row["history_id"], "operation": op, "values": values, "at": row["history_date"],
                        "actor": step["actor"], "reason": step["reason"], "note": note, "step": step})
    bypassed = bool(steps) and not steps[-1]["rows"]
    return out, bypassed


def assert_timeline(doc: dict[str, Any], expected: list[dict[str, Any]], *, bypassed: bool) -> None:
    got = doc["versions"]
    recorded = got[:-1] if bypassed else got
    assert [(v["version"], v["operation"]) for v in recorded] == [(e["version"], e["operation"]) for e in expected]
    for i, (v, e) in enumerate(zip(recorded, expected, strict=True)):
        label = e["step"]["label"]
        assert _norm(v["values"]) == _norm(e["values"]), label
        assert (v["actor"], v["reason"]) == (e["actor"], e["reason"]), label
        assert _utc(v["valid_from"]) == _utc(e["at"]), label
        assert _utc(e["step"]["started"]) <= _utc(v["valid_from"]) <= _utc(e["step"]["finished"]), label
        assert _utc(v["valid_to"]) == (_utc(expected[i + 1]["at"]) if i + 1 < len(expected) else None)
        assert (v.get("note") or "").split("; ") == (e["note"] or [""]), label
        last = i == len(expected) - 1
        assert v["current"] is (last and not bypassed and v["values"] is not None), label
    if bypassed:
        live = got[-1]
        assert live["operation"] == "unknown" and live["current"] is True and live["version"] is None
        assert "live row differs" in live["note"] and live["valid_from"] == recorded[-1]["valid_from"]
        assert _norm(live["values"]) == _norm(expected[-1]["step"]["state"]) | {"votes": 99}


def test_simple_history_timelines(runner: CliRunner, backend: str, story_clone: StoryClone) -> None:
    db_url, record = support_clone(story_clone, backend, "simple_history_story")
    for model, key in (("poll", 1), ("poll", 2), ("choice", 1)):
        doc = _json(runner, db_url, "history", TABLES[model], str(key))
        assert doc["convention"] == "simple-history"
        expected, bypassed = expected_timeline(record, model, key)
        assert_timeline(doc, expected, bypassed=bypassed)
        unrecorded = {tuple(v["unrecorded"]) for v in doc["versions"] if v["values"] is not None}
        assert unrecorded == ({("secret",)} if model == "poll" else {()})
    poll1 = _json(runner, db_url, "history", TABLES["poll"], "1")["versions"]
    assert [v["note"] for v in poll1 if v.get("note") == "no change recorded"] == ["no change recorded"] * 2


def test_simple_history_detection_state_and_diff(runner: CliRunner, backend: str, story_clone: StoryClone) -> None:
    db_url, record = support_clone(story_clone, backend, "simple_history_story")
    doc = _json(runner, db_url, "tables", "--explain")
    by_name = {t["table"].rsplit(".", 1)[-1]: t for t in doc["tables"]}
    assert set(by_name) == {"djangoapp_poll", "custom_choice_table"}
    poll_evidence = by_name["djangoapp_poll"]["evidence"]["simple-history"]
    assert "actor: history_user_id shown as auth_user.username" in poll_evidence
    assert "not tracked (excluded_fields): secret" in poll_evidence
    assert any("found by its columns" in e for e in by_name["custom_choice_table"]["evidence"]["simple-history"])
    # state as of each history row of poll 1 (history_date of that row); after the last one the live row,
    # changed by a queryset update at an unknown time, is all chrono can vouch for
    steps = [s for s in record["steps"] if s["model"] == "poll" and s["key"] == 1 and s["rows"]]
    for step in steps:
        shown = _json(runner, db_url, "show", TABLES["poll"], "1", "--at", step["rows"][-1]["history_date"])
        values = shown["version"]["values"]
        if step is steps[-1]:
            assert values["votes"] == 99 and "live row differs" in shown["version"]["note"]
            continue
        assert _norm({k: values[k] for k in step["state"]}) == _norm(step["state"])
        assert values["tags"] == step["tags"]
    first_tags = next(s for s in record["steps"] if s["tags"])["rows"][0]["history_id"]
    diff = _json(runner, db_url, "diff", TABLES["poll"], "1", "1", str(first_tags))
    assert {c["column"]: (c["old"], c["new"]) for c in diff["changes"]} == {
        "question": ("Tea or coffee?", "Tea, or coffee?"), "tags": ([], [1, 2])}
