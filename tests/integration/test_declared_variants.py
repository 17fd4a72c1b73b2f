"""Variants of the JSON layouts: a ``changes`` column instead of old/new, inferred operations, and snapshots of
the row *before* each change (``data_means = "before"``). The logs and their triggers are home-grown, written
by this test suite following README.md's layouts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.restore_support import chrono
from tests.support.declared import BASE, NOW, SERIAL, STATES, STORY, TIME, dialect, execute, trigger


def _pairs(d: str, form: str, old: str | None, new: str | None) -> str:
    """The ``changes`` value one trigger writes: {col: [old, new]} or [{attribute, old, new}]."""
    obj, arr = ("json_object", "json_array") if d == "sqlite" else ("jsonb_build_object", "jsonb_build_array")
    def side(ref: str | None, col: str) -> str:
        return f"{ref}.{col}" if ref else "NULL"
    cols = ("id", "customer", "amount")
    if form == "dict":
        return f"{obj}(" + ", ".join(f"'{c}', {arr}({side(old, c)}, {side(new, c)})" for c in cols) + ")"
    return f"{arr}(" + ", ".join(f"{obj}('attribute', '{c}', 'old', {side(old, c)}, 'new', {side(new, c)})"
                                 for c in cols) + ")"


def _run(runner: Any, url: str, cfg: Path, *args: str) -> Any:
    result = chrono(runner, url, *args, config=cfg)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("form", ["dict", "list"])
def test_json_diff_changes_column_without_operations(runner, sqlite_or_pg_url: str, tmp_path: Path,
                                                     form: str) -> None:
    url = sqlite_or_pg_url
    d = dialect(url)
    ddl = [BASE, f"CREATE TABLE change_log (id {SERIAL[d]}, row_id INTEGER NOT NULL, diff TEXT, at {TIME[d]} NOT NULL)"]
    for event, old, new in (("INSERT", None, "NEW"), ("UPDATE", "OLD", "NEW"), ("DELETE", "OLD", None)):
        ref = new or old
        ddl += trigger(d, f"change_log_{event.lower()}", event,
                       f"INSERT INTO change_log (row_id, diff, at) VALUES ({ref}.id, {_pairs(d, form, old, new)}, "
                       f"{NOW[d]})")
    execute(url, *ddl)
    execute(url, *STORY)
    cfg = tmp_path / "chrono.toml"
    cfg.write_text('[tables.invoice]\nlayout = "json-diff"\nhistory = "change_log"\nunrecorded = ["secret"]\n'
                   '[tables.invoice.columns]\nversion = "id"\nchanged = "at"\nrow_key = "row_id"\nchanges = "diff"\n')
    versions = _run(runner, url, cfg, "-f", "json", "history", "invoice", "1")["versions"]
    assert [v["values"] for v in versions] == STATES
    assert [v["operation"] for v in versions] == ["insert", "update", "update"]
    deleted = _run(runner, url, cfg, "-f", "json", "history", "invoice", "2")["versions"]
    assert [v["operation"] for v in deleted] == ["insert", "delete"]


def test_json_snapshot_of_the_row_before(runner, sqlite_or_pg_url: str, tmp_path: Path) -> None:
    url = sqlite_or_pg_url
    d = dialect(url)
    ddl = [BASE, f"CREATE TABLE before_log (id {SERIAL[d]}, tbl VARCHAR(20) NOT NULL, row_id TEXT NOT NULL, "
                 f"what VARCHAR(10) NOT NULL, snapshot TEXT NOT NULL, at {TIME[d]} NOT NULL)"]
    obj = "json_object" if d == "sqlite" else "json_build_object"
    for event in ("UPDATE", "DELETE"):
        ddl += trigger(d, f"before_log_{event.lower()}", event,
                       "INSERT INTO before_log (tbl, row_id, what, snapshot, at) VALUES ('invoices', "
                       f"{obj}('id', OLD.id), '{event[0]}', {obj}('id', OLD.id, 'customer', OLD.customer, "
                       f"'amount', OLD.amount), {NOW[d]})")
    execute(url, *ddl)
    execute(url, *STORY)
    cfg = tmp_path / "chrono.toml"
    cfg.write_text('[tables.invoice]\nlayout = "json-snapshot"\nhistory = "before_log"\ndata_means = "before"\n'
                   'table_value = "invoices"\nunrecorded = ["secret"]\n[tables.invoice.columns]\nversion = "id"\n'
                   'changed = "at"\ntable = "tbl"\nrow_key = "row_id"\ndata = "snapshot"\noperation = "what"\n'
                   '[tables.invoice.operations]\ninsert = "I"\nupdate = "U"\ndelete = "D"\n')
    versions = _run(runner, url, cfg, "-f", "json", "history", "invoice", "1")["versions"]
    assert [v["values"] for v in versions] == STATES
    assert [v["operation"] for v in versions] == ["unknown", "update", "update"]
    deleted = _run(runner, url, cfg, "-f", "json", "history", "invoice", "2")["versions"]
    assert [v["operation"] for v in deleted] == ["unknown", "delete"]
    assert deleted[0]["values"] == {"id": 2, "customer": "globex", "amount": 7}
    gone = _run(runner, url, cfg, "-f", "json", "deleted", "invoice")["rows"]
    assert [r["key"] for r in gone] == [{"id": 2}]
