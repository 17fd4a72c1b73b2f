"""MariaDB system versioning beyond the conformance story: transaction-precise tables (exact change sets, revert),
partitioned history with a set-based restore, and check-migrations against the baseline.

The server is the implementation: each test runs DDL and DML on MariaDB, then compares chrono with the server's
own reading (``FOR SYSTEM_TIME ALL / AS OF``, ``mysql.transaction_registry``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from chrono_cli.config import Config
from chrono_cli.errors import VersionNotFound
from chrono_cli.render.documents import document
from chrono_cli.services.history import load_timeline
from chrono_cli.services.select import at_time, record_at
from chrono_cli.services.target import open_target
from chrono_cli.services.workspace import Settings, Workspace
from tests.conftest import invoke

TRX_DDL = ("CREATE TABLE account (id INT PRIMARY KEY, owner VARCHAR(40) NOT NULL, balance DECIMAL(12,2) NULL, "
           "s BIGINT UNSIGNED GENERATED ALWAYS AS ROW START INVISIBLE, "
           "e BIGINT UNSIGNED GENERATED ALWAYS AS ROW END INVISIBLE, PERIOD FOR SYSTEM_TIME (s, e)) "
           "WITH SYSTEM VERSIONING",
           "CREATE TABLE entry (id INT PRIMARY KEY, memo VARCHAR(40) NULL, "
           "s BIGINT UNSIGNED GENERATED ALWAYS AS ROW START INVISIBLE, "
           "e BIGINT UNSIGNED GENERATED ALWAYS AS ROW END INVISIBLE, PERIOD FOR SYSTEM_TIME (s, e)) "
           "WITH SYSTEM VERSIONING")


def run(url: str, *args: str) -> Any:
    result = invoke(CliRunner(), ["--db", url, "-f", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if result.stdout.strip() else None


def transactions(url: str, *groups: tuple[str, ...]) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for group in groups[:1]:
            for statement in group:
                conn.exec_driver_sql(statement)
    for group in groups[1:]:
        with engine.begin() as conn:
            for statement in group:
                conn.exec_driver_sql(statement)
    engine.dispose()


def server(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text(sql), params).all()
    engine.dispose()
    return rows


def moment(epoch: Decimal) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(epoch * 1_000_000))


def test_transaction_precise_history_change_sets_and_revert(mysql_url: str) -> None:
    url = mysql_url
    transactions(url, TRX_DDL,
                 ("INSERT INTO account VALUES (1, 'Ann', 10.00), (2, 'Bo', NULL)", "INSERT INTO entry VALUES (1, 'x')"),
                 ("UPDATE account SET balance = 20.00 WHERE id = 1", "UPDATE account SET owner = 'Ann B' WHERE id = 1",
                  "DELETE FROM account WHERE id = 2", "UPDATE entry SET memo = NULL WHERE id = 1"),
                 ("INSERT INTO account VALUES (2, 'Bo again', 1.00)",))
    rows = server(url, "SELECT a.id, a.owner, a.balance, a.s, a.e, UNIX_TIMESTAMP(r.commit_timestamp) "
                       "FROM account FOR SYSTEM_TIME ALL a JOIN mysql.transaction_registry r "
                       "ON r.transaction_id = a.s ORDER BY a.id, r.commit_id")
    first, second = sorted({r.s for r in rows if r.id == 1})  # two updates in one transaction: one version
    assert [r.owner for r in rows if r.id == 1] == ["Ann", "Ann B"]

    doc = run(url, "history", "account", "1")
    assert [(v["operation"], v["values"]["owner"], v["values"]["balance"]) for v in doc["versions"]] == \
        [(("insert" if r.s == first else "update"), r.owner, str(r[2])) for r in rows if r.id == 1]
    commits = {r.s: moment(r[5]) for r in rows}
    assert [datetime.fromisoformat(v["valid_from"]) for v in doc["versions"]] == [commits[first], commits[second]]
    gone = run(url, "history", "account", "2")["versions"]
    assert [v["operation"] for v in gone] == ["insert", "delete", "insert"]

    sets = run(url, "changes")["changesets"]  # exact change sets: the server's transaction ids
    by_id = {s["id"]: s for s in sets}
    assert set(by_id) == {str(t) for t in {r.s for r in rows} | {r.e for r in rows if r.e < 2**64 - 1}}
    middle = by_id[str(second)]
    assert middle["exact"] is True
    assert sorted((c["table"], c["key"]["id"], c["operation"]) for c in middle["changes"]) == \
        [("account", 1, "update"), ("account", 2, "delete"), ("entry", 1, "update")]

    before_all = server(url, "SELECT id, owner, s, e FROM account FOR SYSTEM_TIME ALL ORDER BY id, s")
    expected = server(url, "SELECT id, owner, balance FROM account FOR SYSTEM_TIME AS OF TRANSACTION :t ORDER BY id",
                      t=first)
    result = invoke(CliRunner(), ["--db", url, "revert", str(second), "--force", "--yes"])
    assert result.exit_code == 0, result.output
    assert server(url, "SELECT id, owner, balance FROM account WHERE id = 1") == [r for r in expected if r.id == 1]
    assert server(url, "SELECT memo FROM entry WHERE id = 1") == [("x",)]
    after_all = server(url, "SELECT id, owner, s, e FROM account FOR SYSTEM_TIME ALL ORDER BY id, s")
    closed = [r for r in before_all if r.e < 2**64 - 1]
    assert all(r in after_all for r in closed)  # history rows never touched, only closed and appended by the server
    assert len(after_all) > len(before_all)


PRECISE_STORY = (
    TRX_DDL,
    ("INSERT INTO account VALUES (1, 'Ann', 10.00), (2, 'Bo', NULL), (3, 'Cy', 3.00), (4, 'Di', 4.00)",
     "INSERT INTO entry VALUES (1, 'x'), (2, 'y')"),
    ("UPDATE account SET balance = 20.00, owner = 'Ann B' WHERE id = 1", "DELETE FROM account WHERE id = 2",
     "INSERT INTO account VALUES (5, 'Ed', 5.00)", "UPDATE entry SET memo = NULL WHERE id = 1"),
    ("INSERT INTO account VALUES (2, 'Bo again', 1.00)", "UPDATE account SET owner = 'Cy 2' WHERE id = 3"),
    ("DELETE FROM account WHERE id = 5", "UPDATE account SET balance = 40.00 WHERE id = 4",
     "DELETE FROM entry WHERE id = 2"),
)


def _precise_sets(url: str) -> list[str]:
    """The story's change sets, oldest first (by commit)."""
    ids = {int(s["id"]) for s in run(url, "changes")["changesets"]}
    order = server(url, "SELECT transaction_id FROM mysql.transaction_registry ORDER BY commit_id")
    return [str(t) for (t,) in order if t in ids]


def _precise_tables(url: str) -> list[Any]:
    """Every state of both tables, without the transaction ids (another database's are others)."""
    return [server(url, f"SELECT * FROM {t} FOR SYSTEM_TIME ALL ORDER BY id, s") for t in ("account", "entry")] + \
        [server(url, f"SELECT * FROM {t} ORDER BY id") for t in ("account", "entry")]


def test_transaction_precise_sets_revert_set_based_as_row_by_row(databases: Any) -> None:
    """Every change set of a story of inserts, updates, deletes and a re-insert is planned set-based as row by row
    (the same conflicts, skips, rows and values); reverted both ways, the tables end alike (the server's history of
    them included)."""
    from chrono_cli.services.apply import apply_plan
    from chrono_cli.services.revert import plan_revert
    from tests.integration.restore_support import reverts_agree

    url, other = databases.empty("mariadb"), databases.empty("mariadb")
    for target in (url, other):
        transactions(target, *PRECISE_STORY)
    sets = _precise_sets(url)
    assert len(sets) == 4
    ws = Workspace(Settings(url, (), Config()))
    try:
        planned = [reverts_agree(ws, ident, 5.0) for ident in sets]
    finally:
        ws.close()
    assert all(p is not None for p in planned), sets
    # (re-inserted, restored, deleted): the last set re-inserts what it deleted, the third deletes the re-insert;
    # the second meets later changes (2 back, 5 gone again: skipped)
    assert [(p.counts(), len(p.conflicts), len(p.skipped)) for p in planned[1:]] == [
        ((0, 3, 0), 2, 1), ((0, 1, 1), 0, 0), ((2, 1, 0), 0, 0)]

    theirs = _precise_sets(other)
    for n in (1, 3):  # the second set (restores over later changes), then the last (re-inserts and a restore)
        done = invoke(CliRunner(), ["--db", url, "-f", "json", "revert", sets[n], "--force", "--yes"])
        assert done.exit_code == 0, done.output
        assert json.loads(done.stdout)["set_based"] is True
        ws = Workspace(Settings(other, (), Config()))
        try:
            slow = plan_revert(ws, theirs[n], force=True)
            assert slow.plan is not None
            apply_plan(ws, slow.plan)
        finally:
            ws.close()
    strip = [[tuple(v for k, v in r._mapping.items() if k not in ("s", "e")) for r in t] for t in _precise_tables(url)]
    assert strip == [[tuple(v for k, v in r._mapping.items() if k not in ("s", "e")) for r in t]
                     for t in _precise_tables(other)]


def test_partitioned_history_show_at_diff_blame_and_bulk_restore(mysql_url: str) -> None:
    url = mysql_url
    transactions(url, ("CREATE TABLE item (id INT PRIMARY KEY, label VARCHAR(40) NOT NULL, qty INT NULL, "
                       "doc JSON NULL) WITH SYSTEM VERSIONING "
                       "PARTITION BY SYSTEM_TIME (PARTITION p_hist HISTORY, PARTITION p_cur CURRENT)",),
                 ("INSERT INTO item VALUES (1, 'ä', 1, '{\"k\": [1, 2]}'), (2, 'b', NULL, NULL), (3, 'c', 3, NULL)",))
    (mark,) = server(url, "SELECT UNIX_TIMESTAMP(NOW(6))")[0]
    transactions(url, ("UPDATE item SET qty = 5, doc = '{\"k\": []}' WHERE id = 1",),
                 ("DELETE FROM item WHERE id = 2",), ("UPDATE item SET label = 'c2' WHERE id = 3",),
                 ("UPDATE item SET label = label WHERE id = 3",))  # a no-op: the server writes a version
    rows = server(url, "SELECT label FROM item FOR SYSTEM_TIME ALL WHERE id = 3 ORDER BY ROW_START")
    noop = run(url, "history", "item", "3")["versions"]
    assert [v["values"]["label"] for v in noop] == [r.label for r in rows] == ["c", "c2", "c2"]
    assert noop[-1]["changes"] == [] and "changed no recorded value" in noop[-1]["note"]
    (item,) = [t for t in run(url, "tables", "--explain")["tables"] if t["table"] == "item"]
    assert "history partitioned BY SYSTEM_TIME" in item["evidence"]["mariadb-versioning"]

    at = moment(Decimal(mark)).isoformat()
    then = {r.id: r for r in server(url, "SELECT id, label, qty, doc FROM item FOR SYSTEM_TIME AS OF "
                                         "TIMESTAMP FROM_UNIXTIME(:m)", m=mark)}
    shown = run(url, "show", "item", "1", "--at", at)["version"]["values"]
    assert (shown["label"], shown["qty"], shown["doc"]) == (then[1].label, then[1].qty, json.loads(then[1].doc))
    diff = run(url, "diff", "item", "1", "p1", "p2")
    assert {c["column"]: (c["old"], c["new"]) for c in diff["changes"]} == {"qty": (1, 5),
                                                                           "doc": ({"k": [1, 2]}, {"k": []})}
    lines = {line["column"]: line for line in run(url, "blame", "item", "1")["columns"]}
    assert lines["qty"]["version"] == 2 and lines["label"]["version"] == 1

    history_before = server(url, "SELECT id, label, qty, ROW_START, ROW_END FROM item FOR SYSTEM_TIME ALL "
                                 "WHERE ROW_END < NOW(6) ORDER BY id, ROW_START")
    result = invoke(CliRunner(), ["--db", url, "restore", "item", "--at", at, "--all-changed-since", at, "--yes"])
    assert result.exit_code == 0, result.output
    now = {r.id: r for r in server(url, "SELECT id, label, qty, doc FROM item")}
    assert {k: (r.label, r.qty, r.doc) for k, r in now.items()} == {k: (r.label, r.qty, r.doc)
                                                                    for k, r in then.items()}
    history_after = server(url, "SELECT id, label, qty, ROW_START, ROW_END FROM item FOR SYSTEM_TIME ALL "
                                "WHERE ROW_END < NOW(6) ORDER BY id, ROW_START")
    assert all(r in history_after for r in history_before) and len(history_after) > len(history_before)


def test_undelete_then_dropped_versioning_fails_the_baseline_and_its_fix(mysql_url: str, tmp_path: Path) -> None:
    url = mysql_url
    transactions(url, ("CREATE TABLE note (id INT PRIMARY KEY, body TEXT) WITH SYSTEM VERSIONING",),
                 ("INSERT INTO note VALUES (1, 'a')",), ("UPDATE note SET body = 'b'",))
    transactions(url, ("DELETE FROM note WHERE id = 1",))
    undeleted = invoke(CliRunner(), ["--db", url, "restore", "note", "1", "--version", "1", "--yes"])
    assert undeleted.exit_code == 0, undeleted.output
    assert server(url, "SELECT id, body FROM note") == [(1, "a")]
    periods = server(url, "SELECT body, ROW_END < NOW(6) FROM note FOR SYSTEM_TIME ALL ORDER BY ROW_START")
    assert periods == [("a", 1), ("b", 1), ("a", 0)]  # the deleted versions kept, the server opened a new one
    baseline = tmp_path / "baseline.json"
    wrote = invoke(CliRunner(), ["--db", url, "check-migrations", "--write-baseline", str(baseline)])
    assert wrote.exit_code == 0, wrote.output
    assert {"table": "note", "history": "note", "convention": "mariadb-versioning", "columns": ["id", "body"]} in \
        json.loads(baseline.read_text(encoding="utf-8"))["tables"]
    transactions(url, ("SET @@system_versioning_alter_history = KEEP", "ALTER TABLE note DROP SYSTEM VERSIONING"))
    failed = invoke(CliRunner(), ["--db", url, "-f", "json", "check-migrations", "--baseline", str(baseline),
                                  "--suggest"])
    assert failed.exit_code == 3, failed.output
    (finding,) = json.loads(failed.stdout)["findings"]
    assert (finding["kind"], finding["table"]) == ("versioning-lost", "note")
    transactions(url, tuple(finding["fix"]["ddl"]))  # the suggested DDL puts the versioning back
    assert server(url, "SELECT table_type FROM information_schema.tables WHERE table_schema = DATABASE() "
                       "AND table_name = 'note'") == [("SYSTEM VERSIONED",)]
    clean = invoke(CliRunner(), ["--db", url, "-f", "json", "check-migrations", "--baseline", str(baseline),
                                 "--strict"])
    assert clean.exit_code == 0 and json.loads(clean.stdout)["findings"] == [], clean.output


def test_suggested_ddl_puts_a_column_back_under_versioning(mysql_url: str) -> None:
    url = mysql_url
    transactions(url, ("CREATE TABLE tag (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL DEFAULT 'x', "
                       "hits INT NULL WITHOUT SYSTEM VERSIONING) WITH SYSTEM VERSIONING",))
    found = invoke(CliRunner(), ["--db", url, "-f", "json", "check-migrations", "--suggest"])
    assert found.exit_code == 0, found.output  # a warning: fails only under --strict
    (finding,) = json.loads(found.stdout)["findings"]
    assert (finding["kind"], finding["column"]) == ("missing-column", "hits")
    transactions(url, tuple(finding["fix"]["ddl"]))
    assert server(url, "SELECT extra FROM information_schema.columns WHERE table_schema = DATABASE() "
                       "AND table_name = 'tag' AND column_name = 'hits'") == [("",)]
    clean = invoke(CliRunner(), ["--db", url, "-f", "json", "check-migrations", "--strict"])
    assert clean.exit_code == 0 and json.loads(clean.stdout)["findings"] == [], clean.output


AS_OF_DDL = {"stamped": "CREATE TABLE {t} (id INT PRIMARY KEY, v VARCHAR(20) NULL) WITH SYSTEM VERSIONING",
             "trx": "CREATE TABLE {t} (id INT PRIMARY KEY, v VARCHAR(20) NULL, "
                    "s BIGINT UNSIGNED GENERATED ALWAYS AS ROW START, "
                    "e BIGINT UNSIGNED GENERATED ALWAYS AS ROW END, PERIOD FOR SYSTEM_TIME (s, e)) "
                    "WITH SYSTEM VERSIONING"}


@pytest.mark.parametrize("kind", sorted(AS_OF_DDL))
def test_show_at_pushed_down_equals_the_timeline(mysql_url: str, kind: str) -> None:
    """``show --at`` asks the server (FOR SYSTEM_TIME AS OF) and answers exactly what the whole timeline answers:
    before the first version, within each state (a no-op update, a deletion gap, a re-creation) and after the last."""
    url, t = mysql_url, f"asof_{kind}"
    steps = [(AS_OF_DDL[kind].format(t=t), f"INSERT INTO {t} (id, v) VALUES (9, 'other')"),
             (f"INSERT INTO {t} (id, v) VALUES (1, 'a')",), (f"UPDATE {t} SET v = 'b' WHERE id = 1",),
             (f"UPDATE {t} SET v = v WHERE id = 1", f"UPDATE {t} SET v = 'c' WHERE id = 9"),
             (f"DELETE FROM {t} WHERE id = 1",), (f"INSERT INTO {t} (id, v) VALUES (1, NULL)",),
             (f"UPDATE {t} SET v = 'ü' WHERE id = 1", f"UPDATE {t} SET v = 'e' WHERE id = 1")]
    marks = []
    for step in steps:
        transactions(url, step)
        marks.append(server(url, "SELECT UNIX_TIMESTAMP(NOW(6))")[0][0])
    times = [moment(Decimal(m)) for m in marks]
    ws = Workspace(Settings(url, (), Config()))
    try:
        with ws.catalog() as cat:
            target = open_target(cat, t)
            full = load_timeline(cat, target, "1")
            answers = []
            for at in times:
                try:
                    expected = document(record_at(full, at_time(full, at)))
                except VersionNotFound as e:
                    expected = str(e)
                pushed = load_timeline(cat, target, "1", at=at)
                assert len(pushed.versions) <= 2 or isinstance(expected, str)
                try:
                    got = document(record_at(pushed, at_time(pushed, at)))
                except VersionNotFound as e:
                    got = str(e)
                assert got == expected, at
                answers.append(expected)
        before, gap, latest = answers[0], answers[4], answers[-1]
        assert "history starts" in before and "did not exist" in gap and "latest state" in latest["version"]["note"]
        assert [a["version"]["seq"] for a in answers[1:4]] == [1, 2, 3] and answers[5]["version"]["seq"] == 5
        rows = server(url, f"SELECT v FROM {t} FOR SYSTEM_TIME AS OF TIMESTAMP FROM_UNIXTIME(:m) WHERE id = 1",
                      m=marks[3])
        shown = run(url, "show", t, "1", "--at", times[3].isoformat())["version"]
        assert shown["values"]["v"] == rows[0].v == "b" and shown["seq"] == 3 and "changed no recorded" in shown["note"]
    finally:
        ws.close()


def test_a_versioned_table_without_a_primary_key_is_detected_and_never_keyed_by_guess(mysql_url: str) -> None:
    """No primary key: a NOT NULL unique key tells records apart (the server appends its row end to it); with
    none, the table is still found, degraded, and every keyed read is refused with the reason."""
    url = mysql_url
    transactions(url, ("CREATE TABLE tag (code VARCHAR(10) NOT NULL, label VARCHAR(20) NULL, UNIQUE KEY (code)) "
                       "WITH SYSTEM VERSIONING",
                       "CREATE TABLE note (body VARCHAR(20) NULL, n INT NULL, UNIQUE KEY (n)) WITH SYSTEM VERSIONING",
                       "INSERT INTO tag VALUES ('a', 'first')", "INSERT INTO note VALUES ('x', 1)"),
                 ("UPDATE tag SET label = 'second' WHERE code = 'a'", "UPDATE note SET body = 'y'"))
    tables = {t["table"].rsplit(".", 1)[-1]: t for t in run(url, "tables", "--explain")["tables"]}
    assert any("unique key (code)" in line for line in tables["tag"]["evidence"]["mariadb-versioning"])
    note = tables["note"]
    assert note["conventions"] == ["mariadb-versioning"], note
    assert any("no primary key and no unique key of NOT NULL columns" in r
               for r in note["degraded"]["mariadb-versioning"]), note
    history = run(url, "history", "tag", "a")
    assert [(v["operation"], v["values"]["label"]) for v in history["versions"]] == [("insert", "first"),
                                                                              ("update", "second")]
    refused = invoke(CliRunner(), ["--db", url, "history", "note", "1"])
    assert refused.exit_code != 0 and refused.stdout == ""
    assert "no primary key" in refused.stderr and "Traceback" not in refused.output
    changes = invoke(CliRunner(), ["--db", url, "-f", "json", "changes", "--window", "0"])
    assert changes.exit_code == 0 and "note has no primary key" in changes.stderr, changes.output


def test_the_baseline_records_the_versioned_columns(mysql_url: str, tmp_path: Path) -> None:
    """A column taken out of versioning after the baseline is an error (the schema alone only warns), fixed by the
    suggested DDL."""
    url = mysql_url
    transactions(url, ("CREATE TABLE stock (id INT PRIMARY KEY, qty INT NULL, seen INT NULL WITHOUT SYSTEM "
                       "VERSIONING) WITH SYSTEM VERSIONING", "INSERT INTO stock VALUES (1, 5, 0)"))
    baseline = tmp_path / "baseline.json"
    wrote = invoke(CliRunner(), ["--db", url, "check-migrations", "--write-baseline", str(baseline)])
    assert wrote.exit_code == 0, wrote.output  # seen is WITHOUT SYSTEM VERSIONING: a warning
    entry = next(t for t in json.loads(baseline.read_text(encoding="utf-8"))["tables"] if t["table"] == "stock")
    assert entry["columns"] == ["id", "qty"]
    transactions(url, ("SET @@system_versioning_alter_history = KEEP",
                       "ALTER TABLE stock MODIFY qty INT NULL WITHOUT SYSTEM VERSIONING"))
    assert invoke(CliRunner(), ["--db", url, "check-migrations"]).exit_code == 0  # without the baseline: warnings
    failed = invoke(CliRunner(), ["--db", url, "-f", "json", "check-migrations", "--baseline", str(baseline),
                                  "--suggest"])
    assert failed.exit_code == 3, failed.output
    lost = [f for f in json.loads(failed.stdout)["findings"] if f["kind"] == "versioning-lost"]
    assert [(f["table"], f["column"], f["severity"]) for f in lost] == [("stock", "qty", "error")]
    assert "stock.qty was versioned by mariadb-versioning (baseline)" in lost[0]["message"]
    transactions(url, ("SET @@system_versioning_alter_history = KEEP", *lost[0]["fix"]["ddl"]))
    assert server(url, "SELECT extra FROM information_schema.columns WHERE table_schema = DATABASE() AND "
                       "table_name = 'stock' AND column_name = 'qty'") == [("",)]
    again = invoke(CliRunner(), ["--db", url, "-f", "json", "check-migrations", "--baseline", str(baseline)])
    assert not [f for f in json.loads(again.stdout)["findings"] if f["kind"] == "versioning-lost"], again.output
