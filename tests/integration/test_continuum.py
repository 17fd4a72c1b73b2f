"""Timelines of histories written by the real SQLAlchemy-Continuum, on SQLite, PostgreSQL and MariaDB.

tests/support/continuum_story.py drives Continuum in a subprocess (``make_versioned()`` is process-global) and
records what the application did; every assertion compares chrono's reading with that record. On MariaDB
Continuum's ``transaction.issued_at`` is a DATETIME of whole seconds: several transactions share one time, so
a time names the newest transaction issued at or before it (what chrono and Continuum's own lookups do).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy_continuum  # noqa: F401  (a test-extra library: an import error fails the run)
from typer.testing import CliRunner

from tests.conftest import StoryClone, invoke
from tests.integration.restore_support import support_clone

KEYS = ("1", "2", "3")




def _json(runner: CliRunner, url: str, *args: str) -> Any:
    result = invoke(runner, ["--db", url, "-f", "json", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _utc(text: str | None) -> datetime | None:
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def window(step: dict[str, Any], dialect: str) -> tuple[datetime, datetime]:
    """The wall-clock interval around a step's commit, widened to whole seconds where times are stored so."""
    lo, hi = _utc(step["started"]), _utc(step["finished"])
    assert lo is not None and hi is not None
    if dialect == "mysql":  # DATETIME without fractional seconds: truncated (MariaDB) or rounded (MySQL)
        lo, hi = lo.replace(microsecond=0), hi.replace(microsecond=0) + timedelta(seconds=1)
    return lo, hi


def newest_at(steps: list[dict[str, Any]], at: str) -> dict[str, Any]:
    """The last step whose transaction was issued at or before ``at`` (several may share a stored time)."""
    moment = _utc(at)
    assert moment is not None
    return [s for s in steps if s["tx"] is not None and (_utc(s["issued_at"]) or moment) <= moment][-1]


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


def assert_timeline(doc: dict[str, Any], expected: list[dict[str, Any]], *, deleted: bool,
                    dialect: str = "sqlite") -> None:
    got = doc["versions"]
    assert [(v["version"], v["operation"]) for v in got] == [(e["version"], e["operation"]) for e in expected]
    for i, (v, e) in enumerate(zip(got, expected, strict=True)):
        assert _norm(v["values"]) == _norm(e["values"]), (v, e["step"]["label"])
        assert (v["actor"], v["reason"]) == (e["actor"], e["reason"]), e["step"]["label"]
        assert _utc(v["valid_from"]) == _utc(e["at"])
        lo, hi = window(e["step"], dialect)
        assert lo <= _utc(v["valid_from"]) <= hi
        assert _utc(v["valid_to"]) == (_utc(expected[i + 1]["at"]) if i + 1 < len(expected) else None)
        assert v["unrecorded"] == ([] if v["values"] is None else ["views"])
        for part in e["note"]:
            assert part in (v.get("note") or ""), (v, part)
        assert v["current"] is (not deleted and i == len(expected) - 1)


@pytest.mark.parametrize("variant", [("--strategy", "validity"), ("--strategy", "subquery", "--no-user")],
                         ids=["validity-user", "subquery-no-user"])
def test_continuum_timelines(runner: CliRunner, backend: str, story_clone: StoryClone,
                             variant: tuple[str, ...]) -> None:
    db_url, record = support_clone(story_clone, backend, "continuum_story", *variant)
    assert [s["tx"] for s in record["steps"]].count(None) == 2  # excluded-only update, no-op save
    for key in KEYS:
        doc = _json(runner, db_url, "history", "article", key)
        assert doc["convention"] == "continuum" and doc["history"].endswith("article_version")
        final = record["steps"][-1]["articles"][key]
        assert_timeline(doc, expected_timeline(record, key), deleted=final is None, dialect=record["dialect"])
    first = _json(runner, db_url, "history", "article", "3")["versions"][0]
    assert first["operation"] == "update" and "first recorded version is an update" in first["note"]
    assert "changed per _mod flags: name, content, score" in first["note"]
    edit = next(v for v in _json(runner, db_url, "history", "article", "1")["versions"]
                if v["reason"] == "fix typo")
    assert "meta: ticket=T-1" in edit["note"] and "remote_addr 10.0.0.7" in edit["note"]


def test_continuum_detection_and_state_at_time(runner: CliRunner, backend: str, story_clone: StoryClone) -> None:
    db_url, record = support_clone(story_clone, backend, "continuum_story")
    doc = _json(runner, db_url, "tables", "--explain")
    by_name = {t["table"].rsplit(".", 1)[-1]: t for t in doc["tables"]}
    assert set(by_name) == {"article", "tag", "article_tag"}
    evidence = by_name["article"]["evidence"]["continuum"]
    assert any("validity strategy" in e for e in evidence)
    assert any("actor: transaction.user_id shown as user.username" in e for e in evidence)
    assert any("shown as tag" in e for e in evidence)
    # the state as of each transaction's issued_at: after the newest transaction issued by then
    for step in record["steps"]:
        if step["tx"] is None:
            continue
        state = newest_at(record["steps"], step["issued_at"])
        result = invoke(runner, ["--db", db_url, "-f", "json", "show", "article", "1", "--at",
                                 step["issued_at"] + "+00:00"])
        if state["articles"]["1"] is None:
            assert result.exit_code != 0 and "did not exist" in result.stderr, state["label"]
            continue
        assert result.exit_code == 0, result.stderr
        values = json.loads(result.stdout)["version"]["values"]
        assert _norm({k: values[k] for k in state["articles"]["1"]}) == _norm(state["articles"]["1"])
        assert values["tag"] == state["tags"]["1"]
    # the state at each version number (the transaction id), whatever the time resolution
    by_tx = {s["tx"]: s for s in record["steps"] if s["tx"] is not None}
    for v in _json(runner, db_url, "history", "article", "1")["versions"]:
        if v["values"] is None:
            continue
        step = by_tx[v["version"]]
        values = _json(runner, db_url, "show", "article", "1", "--version", str(v["version"]))["version"]["values"]
        assert _norm({k: values[k] for k in step["articles"]["1"]}) == _norm(step["articles"]["1"]), step["label"]
        assert values["tag"] == step["tags"]["1"]
    diff = _json(runner, db_url, "diff", "article", "1", "#1", "#3")
    assert {c["column"]: (c["old"], c["new"]) for c in diff["changes"]} == {
        "name": ("First", "First!"), "tag": ([], [3, 5])}


@pytest.mark.pg
def test_continuum_native_versioning(runner: CliRunner, story_clone: StoryClone) -> None:
    pg_url, record = support_clone(story_clone, "postgresql", "continuum_story", "--native")
    doc = _json(runner, pg_url, "tables", "--explain")
    evidence = {t["table"].rsplit(".", 1)[-1]: t["evidence"]["continuum"] for t in doc["tables"]}
    assert any("native versioning: trigger article_trigger -> article_audit() (enabled)" in e
               for e in evidence["article"])
    for key in KEYS:
        doc = _json(runner, pg_url, "history", "article", key)
        final = record["steps"][-1]["articles"][key]
        assert_timeline(doc, expected_timeline(record, key), deleted=final is None)


def expected_joined(record: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The versions of object ``key`` in the joined-inheritance steps: one per transaction that changed it."""
    out: list[dict[str, Any]] = []
    state: dict[str, Any] | None = None
    for step in record["joined"]:
        new = step["items"][key]
        if new == state:
            continue
        op = "insert" if state is None else "delete" if new is None else "update"
        out.append({"version": step["tx"], "operation": op, "values": new, "step": step})
        state = new
    return out


def test_continuum_joined_inheritance(runner: CliRunner, backend: str, story_clone: StoryClone) -> None:
    """A child of joined-table inheritance shows its root's columns, from the root's version rows (§4.1, §4.6.7)."""
    db_url, record = support_clone(story_clone, backend, "continuum_story", "--joined")
    doc = _json(runner, db_url, "tables", "--explain")
    by_name = {t["table"].rsplit(".", 1)[-1]: t for t in doc["tables"]}
    assert {"item", "book"} <= set(by_name)
    assert by_name["book"]["history"][0].endswith("book_version")
    evidence = {t: [e.replace("public.", "") for e in by_name[t]["evidence"]["continuum"]] for t in ("item", "book")}
    assert "joined inheritance: extends item (item_version): its columns kind, title shown with each version" \
        in evidence["book"]
    assert any("joined inheritance root of book" in e for e in evidence["item"])

    for key in ("20", "22"):  # books: item columns (kind, title) and book columns (isbn) in every version
        got = _json(runner, db_url, "history", "book", key)["versions"]
        expected = expected_joined(record, key)
        assert [(v["version"], v["operation"]) for v in got] == [(e["version"], e["operation"]) for e in expected]
        for v, e in zip(got, expected, strict=True):
            assert v["values"] == e["values"] and v["unrecorded"] == [], e["step"]["label"]
            assert v["actor"] == e["step"]["actor"] and _utc(v["valid_from"]) == _utc(e["step"]["issued_at"])
            assert "no item_version row" not in (v.get("note") or "")  # Continuum writes both tables, always
        assert got[-1]["current"] is (expected[-1]["values"] is not None)
    changes = {c["column"]: (c["old"], c["new"]) for c in
               _json(runner, db_url, "history", "book", "20")["versions"][1]["changes"]}
    assert changes == {"title": ("Dune", "Dune (1965)")}  # a change of the root table only
    # the root table alone: its own columns, for books and plain items alike
    item = _json(runner, db_url, "history", "item", "21")["versions"]
    assert [v["values"] for v in item] == [{k: x for k, x in e["values"].items() if k != "isbn"}
                                           for e in expected_joined(record, "21")]
    plain = invoke(runner, ["--db", db_url, "history", "book", "21"])
    assert plain.exit_code != 0 and "no row with key id=21 in" in plain.stderr
    # state at a time, and diff across both tables
    step = record["joined"][1]
    state = newest_at(record["joined"], step["issued_at"])["items"]["20"]
    shown = _json(runner, db_url, "show", "book", "20", "--at", step["issued_at"] + "+00:00")["version"]["values"]
    assert shown == state
    diff = _json(runner, db_url, "diff", "book", "20", "#1", "#3")
    assert {c["column"]: (c["old"], c["new"]) for c in diff["changes"]} == {
        "title": ("Dune", "Dune (1965)"), "isbn": ("978-0441013593", "978-0593099322")}
