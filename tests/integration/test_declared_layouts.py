"""Declared layouts (chrono.toml ``[tables.X] layout``) over home-grown history tables.

The history tables and the triggers that fill them are written by this test suite (tests/support/declared.py),
following the layouts README.md documents; no library is involved. Each test runs a scripted sequence of plain
SQL inserts, updates and deletes, then reads and writes through the CLI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.integration.restore_support import checksum, chrono
from tests.support.declared import CONFIGS, HISTORIES, STATES, build, dialect, execute

SHAPES = ["old-state", "new-state", "json-snapshot", "json-diff", "in-table", "period"]
HISTORY = HISTORIES
RECORDS_INSERTS = ("new-state", "json-snapshot", "json-diff", "in-table")  # an insert writes a history row
KNOWS_INSERTS = (*RECORDS_INSERTS, "period")  # the first state is known to be the insert
TRIGGERED = [s for s in SHAPES if s != "in-table"]  # in-table versions are written by the application


def run(runner: Any, url: str, cfg: Path, *args: str) -> Any:
    result = chrono(runner, url, *args, config=cfg)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def history(runner: Any, url: str, cfg: Path, key: str) -> list[dict[str, Any]]:
    result = run(runner, url, cfg, "-f", "json", "history", "invoice", key)
    assert result.exit_code == 0, result.output
    versions: list[dict[str, Any]] = json.loads(result.stdout)["versions"]
    return versions


def history_rows(url: str, table: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()  # a fixed test table name
    engine.dispose()
    return int(count)


@pytest.mark.parametrize("shape", SHAPES)
def test_history_show_diff_changes_explain(runner, db_url: str, tmp_path: Path, shape: str) -> None:
    cfg = build(db_url, shape, tmp_path)
    versions = history(runner, db_url, cfg, "1")
    assert [v["values"] for v in versions] == STATES
    assert all(v["unrecorded"] == ["secret"] for v in versions)
    assert [v["current"] for v in versions] == [False, False, True]
    first = "insert" if shape in KNOWS_INSERTS else "unknown"  # an old-state history never records the insert
    assert [v["operation"] for v in versions] == [first, "update", "update"]
    actor = None if shape in ("in-table", "period") else "clerk"
    assert [v["actor"] for v in versions][1:] == [actor, actor]
    assert versions[1]["changes"] == [{"column": "amount", "old": 100, "new": 150}]
    deleted = history(runner, db_url, cfg, "2")
    assert [v["operation"] for v in deleted][-1] == "delete"
    assert deleted[0]["values"] == {"id": 2, "customer": "globex", "amount": 7}

    at = versions[1]["valid_from"]
    shown = run(runner, db_url, cfg, "-f", "json", "show", "invoice", "1", "--at", at)
    assert shown.exit_code == 0, shown.output
    doc = json.loads(shown.stdout)["version"]
    assert doc["values"]["amount"] == 150 and doc["values"]["customer"] == "acme"

    diff = run(runner, db_url, cfg, "-f", "json", "diff", "invoice", "1", "#1", "#3")
    assert diff.exit_code == 0, diff.output
    assert {c["column"]: (c["old"], c["new"]) for c in json.loads(diff.stdout)["changes"]} == {
        "amount": (100, 150), "customer": ("acme", "acme corp")}

    listed = run(runner, db_url, cfg, "-f", "json", "changes")
    assert listed.exit_code == 0, listed.output
    rows = [(c["key"]["id"], c["operation"]) for s in json.loads(listed.stdout)["changesets"] for c in s["changes"]]
    expected = [(1, "update"), (1, "update"), (2, "delete")]
    if shape in KNOWS_INSERTS:
        expected += [(1, "insert"), (2, "insert")]
    assert sorted(rows) == sorted(expected)

    gone = run(runner, db_url, cfg, "-f", "json", "deleted", "invoice")
    assert gone.exit_code == 0, gone.output
    assert [(r["key"], r["values"]) for r in json.loads(gone.stdout)["rows"]] == [
        ({"id": 2}, {"id": 2, "customer": "globex", "amount": 7})]

    explained = run(runner, db_url, cfg, "-f", "json", "tables", "--explain")
    assert explained.exit_code == 0, explained.output
    (table,) = json.loads(explained.stdout)["tables"]
    assert table["conventions"] == [shape]
    lines = table["evidence"][shape]
    where = "in the table itself" if shape == "in-table" else "history "
    assert lines[0].startswith(f"declared in chrono.toml [tables.invoice]: layout {shape}, {where}")
    assert "declared unrecorded: secret" in lines


@pytest.mark.parametrize("shape", SHAPES)
def test_check_migrations_clean_then_drift(runner, db_url: str, tmp_path: Path, shape: str) -> None:
    cfg = build(db_url, shape, tmp_path)
    clean = run(runner, db_url, cfg, "-f", "json", "check-migrations")
    assert clean.exit_code == 0, clean.output
    assert [c["convention"] for c in json.loads(clean.stdout)["checked"]] == [shape]
    if shape == "in-table":
        return  # versions and their table are one: there is no second table to drift apart from
    if shape.startswith("json"):
        # a log keeps whatever the trigger puts in its JSON: the drift it can suffer is losing the log
        execute(db_url, f"DROP TABLE {HISTORY[shape]}")
        drift = run(runner, db_url, cfg, "-f", "json", "check-migrations")
        assert drift.exit_code == 3, drift.output
        findings = json.loads(drift.stdout)["findings"]
        assert [(f["kind"], f["severity"]) for f in findings] == [("missing-history", "error")]
        return
    execute(db_url, "ALTER TABLE invoice ADD COLUMN phone VARCHAR(20)")
    drift = run(runner, db_url, cfg, "-f", "json", "check-migrations")
    assert drift.exit_code == 3, drift.output
    findings = json.loads(drift.stdout)["findings"]
    assert [(f["kind"], f["column"], f["severity"]) for f in findings] == [("missing-column", "phone", "error")]
    # reads go on: the new column is not recorded by the history
    versions = history(runner, db_url, cfg, "1")
    assert [{c: x for c, x in v["values"].items() if c != "phone"} for v in versions] == STATES
    assert all("phone" in v["unrecorded"] for v in versions[:-1])


@pytest.mark.parametrize("shape", SHAPES)
def test_restore_and_undelete_through_triggers(runner, db_url: str, tmp_path: Path, shape: str) -> None:
    cfg = build(db_url, shape, tmp_path)
    store = HISTORY[shape]
    before = history_rows(db_url, store)
    result = run(runner, db_url, cfg, "restore", "invoice", "1", "--version", "#1", "--yes")
    assert result.exit_code == 0, result.output
    if shape == "in-table":
        assert "chrono closes the current version and inserts the next" in result.stderr
    else:
        assert "history is written by the table's triggers" in result.stderr
    assert history_rows(db_url, store) == before + 1  # the UPDATE trigger wrote it, not chrono
    versions = history(runner, db_url, cfg, "1")
    assert [v["values"] for v in versions] == [*STATES, STATES[0]]
    assert versions[-1]["current"] and versions[-1]["operation"] == "update"

    undeleted = run(runner, db_url, cfg, "restore", "invoice", "2", "--yes")
    assert undeleted.exit_code == 0, undeleted.output
    versions = history(runner, db_url, cfg, "2")
    assert versions[-1]["values"] == {"id": 2, "customer": "globex", "amount": 7}
    assert versions[-1]["current"]
    assert versions[-1]["operation"] == "insert"
    assert history_rows(db_url, store) == before + (2 if shape in RECORDS_INSERTS else 1)


@pytest.mark.parametrize("shape", TRIGGERED)
def test_restore_refused_without_trigger(runner, sqlite_or_pg_url: str, tmp_path: Path, shape: str) -> None:
    url = sqlite_or_pg_url
    cfg = build(url, shape, tmp_path)
    drop_update_trigger(url, shape)
    before = checksum(url)
    result = run(runner, url, cfg, "restore", "invoice", "1", "--version", "#1", "--yes")
    assert result.exit_code == 5, result.output
    assert "has no UPDATE trigger" in result.stderr
    assert "hint:" in result.stderr
    assert checksum(url) == before


def drop_update_trigger(url: str, shape: str) -> None:
    name = f"{HISTORY[shape]}_update"
    if shape == "period":
        name = "versioning" if dialect(url) == "postgresql" else "versioning_update"
    execute(url, f"DROP TRIGGER {name}" + (" ON invoice" if dialect(url) == "postgresql" else ""))


@pytest.mark.parametrize("shape", TRIGGERED)
def test_check_migrations_catches_a_dropped_trigger(runner, db_url: str, tmp_path: Path, shape: str) -> None:
    cfg = build(db_url, shape, tmp_path)
    drop_update_trigger(db_url, shape)
    result = run(runner, db_url, cfg, "-f", "json", "check-migrations")
    assert result.exit_code == 3, result.output
    findings = json.loads(result.stdout)["findings"]
    if shape == "period" and dialect(db_url) == "postgresql":
        # one trigger served UPDATE and DELETE: both are gone
        assert [(f["kind"], f["severity"]) for f in findings] == [("trigger", "error"), ("trigger", "warning")]
    else:
        assert [(f["kind"], f["severity"]) for f in findings] == [("trigger", "error")]
    assert "has no enabled UPDATE trigger" in findings[0]["message"]


BAD = [
    ('version = "audit_id"', 'version = "rev"',
     "config [tables.invoice.columns] version: no column 'rev' in invoice_audit"),
    ('version = "audit_id"', 'version = "action"',
     "config [tables.invoice.columns] version: invoice_audit.action is VARCHAR(10), not an integer"),
    ('version = "audit_id"\nchanged = "archived_on"', 'operation_x = "action"',
     "config [tables.invoice.columns] operation_x: unknown role"),
    ('version = "audit_id"\nchanged = "archived_on"', 'reason = "action"',
     "config [tables.invoice.columns]: the old-state layout needs one of version, changed"),
    ('layout = "old-state"', 'layout = "old-state"\nhistroy = "x"', "unknown key(s) in [tables.invoice]: histroy"),
    ('layout = "old-state"', 'layout = "old_state"', "config [tables.invoice] layout: expected one of"),
    ('history = "invoice_audit"', 'history = "invoice_audits"',
     "config [tables.invoice] history: no table invoice_audits"),
    ('key = ["invoice_id"]', 'key = ["invoice_no"]',
     "config [tables.invoice.columns] key: no column 'invoice_no' in invoice_audit"),
    ('unrecorded = ["secret"]', 'unrecorded = ["secrets"]',
     "config [tables.invoice] unrecorded: no column 'secrets' in invoice"),
    ('actor = "changed_by"', 'actor = "changed_by"\ndata = "changed_by"',
     "config [tables.invoice.columns] data: not a role of the old-state layout"),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD, ids=[b[2].split(":")[0][-30:] + str(i)
                                                              for i, b in enumerate(BAD)])
def test_config_errors(runner, sqlite_url: str, tmp_path: Path, old: str, new: str, message: str) -> None:
    cfg = build(sqlite_url, "old-state", tmp_path)
    text_ = cfg.read_text()
    assert old in text_
    cfg.write_text(text_.replace(old, new, 1))
    before = checksum(sqlite_url)
    for args in (["history", "invoice", "1"], ["restore", "invoice", "1", "--version", "#1", "--yes"],
                 ["check-migrations"]):
        result = run(runner, sqlite_url, cfg, *args)
        if args == ["check-migrations"] and "history: no table" in message:
            # a declared history table that is gone is drift to report, not a config error
            assert result.exit_code == 3, result.output
            assert "missing-history" in result.stdout
            continue
        assert result.exit_code == 2, (args, result.output)
        assert result.stdout == ""
        first = result.stderr.splitlines()[0]
        assert first.startswith("error: ") and message in first, result.stderr
    assert checksum(sqlite_url) == before


def test_json_diff_gap_is_shown_not_invented(runner, db_url: str, tmp_path: Path) -> None:
    cfg = build(db_url, "json-diff", tmp_path)
    # the record of 100 -> 150 is lost: the next recorded change no longer starts where the insert left off
    execute(db_url, "DELETE FROM invoice_changes WHERE pk = 1 AND op = 'UPDATE' AND id = "
                    "(SELECT m FROM (SELECT MIN(id) AS m FROM invoice_changes WHERE pk = 1 AND op = 'UPDATE') x)")
    versions = history(runner, db_url, cfg, "1")
    assert versions[0]["values"] == STATES[0] and versions[0]["operation"] == "insert"
    unknown = [v for v in versions if v["operation"] == "unknown"]
    assert unknown and all("unrecorded change" in v["note"] or "did not record" in v["note"] for v in unknown)
    assert versions[-1]["current"] and versions[-1]["values"] == STATES[-1]
    # no recorded change claims the lost one: amount never "changes" 100 -> 150 in a recorded update
    claimed = [c for v in versions if v["operation"] == "update" for c in v["changes"]]
    assert {"column": "amount", "old": 100, "new": 150} not in claimed


def test_history_in_another_schema(runner, pg_url: str, tmp_path: Path) -> None:
    """``history = "audit.invoice_log"``: a schema off the search path is still read."""
    config = CONFIGS["new-state"].replace('history = "invoice_log"', 'history = "audit.invoice_log"')
    execute(pg_url, "CREATE SCHEMA audit")
    cfg = build(pg_url, "new-state", tmp_path, config=config, history_schema="audit")
    versions = history(runner, pg_url, cfg, "1")
    assert [v["values"] for v in versions] == STATES
    explained = run(runner, pg_url, cfg, "-f", "json", "tables", "--explain")
    assert json.loads(explained.stdout)["tables"][0]["history"] == ["audit.invoice_log"]
    checked = run(runner, pg_url, cfg, "-f", "json", "check-migrations")
    assert checked.exit_code == 0, checked.output
