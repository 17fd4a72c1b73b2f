"""Set-based restore internals on real servers: COPY staging writes values exactly, the plan-still-holds check runs
in SQL and sees every change (a change of case under a case-insensitive collation too), fit is checked per column.
A restore planned by the database (history_meta, ``--all-changed-since``) gives the rows, counts and refusals of the
plan made in Python (``--keys``), reads whole only the listed rows, and refuses when any row changed, was deleted,
re-created or newly changed between the plan and the write."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, create_engine, select, text
from typer.testing import CliRunner

from chrono_cli.conventions.shapes import bulk_plan
from chrono_cli.conventions.shapes.window import sqlite_exact, time_pair
from chrono_cli.errors import Refused, RowNotFound
from chrono_cli.services.bulk_restore import BulkPlan, apply_bulk_restore, plan_bulk_restore
from chrono_cli.services.workspace import Settings, Workspace
from tests.conftest import StoryClone
from tests.integration.restore_support import checksum, chrono, history_meta_clone

T = datetime(2026, 1, 1, 12, 0, 0)


def _sql(url: str, *statements: str, **params: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            out = [conn.execute(text(s), params) for s in statements]
            return [r.all() if r.returns_rows else None for r in out]
    finally:
        engine.dispose()


def _plan(url: str, at: str, **kw: Any) -> tuple[Workspace, BulkPlan]:
    ws = Workspace(Settings(url=url))
    return ws, plan_bulk_restore(ws, kw.pop("table", "appuser"), at=at, since=at, **kw)


@pytest.mark.parametrize("change", ["case", "trailing space", "appeared", "version"])
def test_a_row_changed_after_the_plan_refuses_the_whole_restore(
    backend: str, story_clone: StoryClone, change: str
) -> None:
    url, rec = history_meta_clone(story_clone, backend)
    at = rec["steps"][8]["probe_at"].isoformat()
    ws, plan = _plan(url, at)
    try:
        assert {(r.key[0], r.current is None) for r in plan.rows} == {(1, False), (2, True), (3, False)}
        name = next(r.current["name"] for r in plan.rows if r.key == (1,))
        if change == "case":  # under MariaDB's _ci collations 'x' = 'X': the check compares bytes
            _sql(url, "UPDATE appuser SET name = :n WHERE id = 1", n=name.swapcase())
        elif change == "trailing space":  # and PAD SPACE collations ignore trailing spaces
            _sql(url, "UPDATE appuser SET name = :n WHERE id = 1", n=name + " ")
        elif change == "appeared":  # the plan re-creates user 2; someone else did meanwhile
            _sql(url, "INSERT INTO appuser (id, email, name, version) VALUES (2, 'other@example.com', 'x', 1)")
        else:
            _sql(url, "UPDATE appuser SET version = version + 1 WHERE id = 3")
        changed = checksum(url)
        with pytest.raises(Refused, match=r"changed since the plan was made \((1|2|3)\)"):
            apply_bulk_restore(ws, plan)
        assert checksum(url) == changed
    finally:
        ws.close()


def test_an_unchanged_plan_applies_on_every_backend(backend: str, story_clone: StoryClone) -> None:
    url, rec = history_meta_clone(story_clone, backend)
    at = rec["steps"][8]["probe_at"].isoformat()
    ws, plan = _plan(url, at)
    try:
        apply_bulk_restore(ws, plan)
    finally:
        ws.close()
    live = {r[0]: r[1:] for r in _sql(url, "SELECT id, email, name FROM appuser")[0]}
    for row in plan.rows:
        assert live[row.key[0]] == (row.new["email"], row.new["name"])


ITEM = (
    "id integer PRIMARY KEY, body text, tag varchar(5) NOT NULL, data bytea, doc jsonb, plain json, "
    "until timestamptz, since date, amount numeric(8, 2), version integer NOT NULL"
)
HISTORY = (
    "id integer NOT NULL, body text, tag varchar(20), data bytea, doc jsonb, plain json, until timestamptz, "
    "since date, amount numeric(8, 2), version integer NOT NULL, changed timestamp, PRIMARY KEY (id, version)"
)
ODD = "tab\there\nnew line\\back slash\r and \\N"


def test_copy_writes_every_value_as_recorded(pg_url: str) -> None:
    """Values COPY has to escape or that psycopg2 reads lossily ('infinity') come back exactly (json as the same
    document: its spacing is lost on the way through the driver, as with any write of a json value)."""
    _sql(
        pg_url,
        f"CREATE TABLE item ({ITEM})",
        f"CREATE TABLE item_history ({HISTORY})",
        "INSERT INTO item VALUES (1, 'now', 'b', NULL, '{}', '[]', 'infinity', '-infinity', 1.00, 2), "
        "(2, :odd, 'c', '\\x00', '[1]', '{}', 'infinity', NULL, NULL, 2)",
        "INSERT INTO item_history VALUES (1, :odd, 'a', '\\x005c09ff', :doc, :plain, 'infinity', '-infinity', "
        "1.50, 1, :changed), (2, '\\N', 'd', NULL, NULL, NULL, '2026-01-02 03:04:05.678901+00', '2026-01-02', "
        "-0.01, 1, :changed)",
        odd=ODD,
        doc='{"a": "x\\ty", "ü": [1, null]}',
        plain='{"b" :  1}',
        changed=T + timedelta(hours=1),
    )
    expected = _sql(
        pg_url,
        "SELECT id, body, tag, encode(data, 'hex'), doc::text, plain::jsonb::text, until::text, since::text, "
        "amount::text FROM item_history ORDER BY id",
    )[0]
    ws, plan = _plan(pg_url, T.isoformat() + "Z", table="item")
    try:
        apply_bulk_restore(ws, plan)
    finally:
        ws.close()
    got = _sql(
        pg_url,
        "SELECT id, body, tag, encode(data, 'hex'), doc::text, plain::jsonb::text, until::text, since::text, "
        "amount::text FROM item ORDER BY id",
    )[0]
    assert got == expected
    assert got[1][1] == "\\N" and got[0][6] == "infinity" and got[0][7] == "-infinity"
    # the library's record of the change: the live rows as they were, under their version
    kept = _sql(pg_url, "SELECT id, body, until::text, version FROM item_history WHERE version = 2 ORDER BY id")[0]
    assert kept == [(1, "now", "infinity", 2), (2, ODD, "infinity", 2)]



def test_a_json_value_none_is_written_as_sql_null_by_either_writer(pg_url: str, runner: CliRunner) -> None:
    """A JSON column's None is written as SQL NULL by the set-based restore (COPY) and the row-by-row one alike, as
    Rails and Django write a missing value (SQLAlchemy's JSON type would bind the JSON text null). Reading gives
    None for both, so a live row holding JSON null where the plan saw None has not changed since the plan."""
    _sql(
        pg_url,
        f"CREATE TABLE item ({ITEM})",
        f"CREATE TABLE item_history ({HISTORY})",
        "INSERT INTO item VALUES (1, 'b1', 'b', NULL, 'null', 'null', NULL, NULL, NULL, 2), "
        "(2, 'b2', 'c', NULL, '[2]', '{}', NULL, NULL, NULL, 2), "
        "(3, 'b3', 'c', NULL, '[3]', '{}', NULL, NULL, NULL, 2)",
        "INSERT INTO item_history (id, body, tag, doc, plain, version, changed) VALUES "
        "(1, 'a1', 'a', NULL, NULL, 1, :changed), (2, 'a2', 'a', 'null', 'null', 1, :changed), "
        "(3, 'a3', 'a', NULL, NULL, 1, :changed)",
        changed=T + timedelta(hours=1),
    )
    done = chrono(runner, pg_url, "restore", "item", "3", "--version", "1", "--yes")
    assert done.exit_code == 0, done.output
    ws, plan = _plan(pg_url, T.isoformat() + "Z", table="item")  # row 3 is already as it was
    try:
        assert sorted(r.key for r in plan.rows) == [(1,), (2,)]
        apply_bulk_restore(ws, plan)
    finally:
        ws.close()
    assert _sql(pg_url, "SELECT id, body, doc IS NULL, plain IS NULL FROM item ORDER BY id")[0] \
        == [(1, "a1", True, True), (2, "a2", True, True), (3, "a3", True, True)]

def test_fit_is_checked_per_column_where_the_types_differ(pg_url: str) -> None:
    """A store column wider than the live one, or NULL for a NOT NULL column, still refuses, naming the row."""
    _sql(
        pg_url,
        f"CREATE TABLE item ({ITEM})",
        f"CREATE TABLE item_history ({HISTORY})",
        "INSERT INTO item (id, tag, version) VALUES (1, 'a', 2), (2, 'b', 2)",
        "INSERT INTO item_history (id, tag, version, changed) VALUES (1, 'much too long', 1, :changed), "
        "(2, NULL, 1, :changed)",
        changed=T + timedelta(hours=1),
    )
    untouched = checksum(pg_url)
    ws = Workspace(Settings(url=pg_url))
    try:
        with pytest.raises(Refused) as refused:
            plan_bulk_restore(ws, "item", at=T.isoformat() + "Z", since=T.isoformat() + "Z")
    finally:
        ws.close()
    message = str(refused.value)
    assert "cannot restore 2 rows" in message
    assert "1 tag: a 13-character value no longer fits VARCHAR(5)" in message
    assert "2 tag: NULL no longer fits (the column is NOT NULL)" in message
    assert checksum(pg_url) == untouched


AT = T.isoformat() + "Z"


def _items(url: str, tag: str = "'a-then'") -> None:
    """item / item_history (history_meta): 1 changed after T (restored), 3 changed back (already in that state),
    5 deleted after T (re-created), 4 changed before T only (not among the keys)."""
    stamp = "datetime(6)" if url.startswith("mysql") else "timestamp"
    _sql(
        url,
        "CREATE TABLE item (id integer PRIMARY KEY, tag varchar(20) NOT NULL, note varchar(20), "
        "version integer NOT NULL)",
        f"CREATE TABLE item_history (id integer NOT NULL, tag varchar(20), note varchar(20), version integer NOT NULL, "
        f"changed {stamp}, PRIMARY KEY (id, version))",
        "INSERT INTO item VALUES (1, 'a-now', 'x', 2), (3, 'c', NULL, 2), (4, 'd-now', 'y', 2)",
        f"INSERT INTO item_history VALUES (1, {tag}, 'x', 1, :after), (3, 'c', NULL, 1, :after), "
        "(4, 'd-then', 'y', 1, :before), (5, 'e-then', 'z', 1, :after), (5, 'e-later', 'z', 2, :later)",
        after=T + timedelta(hours=1),
        later=T + timedelta(hours=2),
        before=T - timedelta(hours=1),
    )


def test_the_database_plans_what_python_plans(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _items(db_url)
    keys = tmp_path / "keys.txt"
    keys.write_text("5\n3\n1\n", encoding="utf-8")
    ws, planned = _plan(db_url, AT, table="item")
    try:
        by_keys = plan_bulk_restore(ws, "item", at=AT, keys_file=str(keys), listed=1)
        first = plan_bulk_restore(ws, "item", at=AT, since=AT, listed=1)
        monkeypatch.setattr(bulk_plan, "usable", lambda *_: False)  # as for a table the database cannot plan
        by_python = plan_bulk_restore(ws, "item", at=AT, keys_file=str(keys))
    finally:
        ws.close()
    in_sql = not db_url.startswith("postgresql")  # PostgreSQL plans listed keys in Python (COPY is faster)
    assert planned.seen is not None and (by_keys.seen is not None) == in_sql and by_python.seen is None
    assert planned.rows == by_python.rows[::-1]  # the keys file's order
    assert by_keys.rows == by_python.rows[:1 if in_sql else 2]  # listed=1 reads one row whole (plans made in SQL)
    assert (by_keys.size, by_keys.recreated) == (2, 1) and (by_keys.seen == planned.seen or not in_sql)
    assert [(r.key, r.current is None, dict(r.new)) for r in planned.rows] == [
        ((1,), False, {"tag": "a-then", "note": "x"}),
        ((5,), True, {"tag": "e-then", "note": "z"}),
    ]
    assert planned.skipped == by_keys.skipped == by_python.skipped == {"already in that state": 1}
    # no restored row changes note (re-created 5 is inserted whole): the UPDATE writes tag and version only
    assert planned.kept == by_keys.kept == by_python.kept == ("note",)
    update = next(s["sql"] for s in planned.statements if s["label"].startswith("live rows: the restored values"))
    assert "tag" in update and "note" not in update
    assert first.rows == planned.rows[:1] and (first.size, first.recreated) == (2, 1)
    counted = ("restored", "recreated", "skipped")
    assert [first.to_json(rows=False)[k] for k in counted] == [planned.to_json(rows=False)[k] for k in counted]
    ws = Workspace(Settings(url=db_url))
    try:
        apply_bulk_restore(ws, first)
    finally:
        ws.close()
    assert _sql(db_url, "SELECT id, tag, note, version FROM item ORDER BY id")[0] == [
        (1, "a-then", "x", 3), (3, "c", None, 2), (4, "d-now", "y", 2), (5, "e-then", "z", 3)]
    kept = _sql(db_url, "SELECT id, tag, version FROM item_history WHERE id = 1 ORDER BY version")[0]
    assert kept == [(1, "a-then", 1), (1, "a-now", 2)]  # the row before the restore, under its version


def test_a_null_that_no_longer_fits_refuses_naming_the_row(db_url: str) -> None:
    _items(db_url, tag="NULL")
    untouched = checksum(db_url)
    ws = Workspace(Settings(url=db_url))
    try:
        with pytest.raises(Refused) as refused:
            plan_bulk_restore(ws, "item", at=AT, since=AT)
    finally:
        ws.close()
    table = "public.item" if db_url.startswith("postgresql") else "item"
    assert str(refused.value).startswith(f"cannot restore 1 rows of {table}: 1 tag: NULL no longer fits (the column "
                                         "is NOT NULL)")
    assert checksum(db_url) == untouched


CHANGES = {
    "updated": ("UPDATE item SET note = 'other' WHERE id = 1", "1"),
    "deleted": ("DELETE FROM item WHERE id = 1", "1"),
    "re-created meanwhile": ("INSERT INTO item VALUES (5, 'e-other', 'z', 1)", "5"),
    "newly changed": ("INSERT INTO item_history VALUES (4, 'd-now', 'y', 2, :later)", "4"),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_row_changed_between_plan_and_write_refuses(db_url: str, change: str) -> None:
    _items(db_url)
    statement, key = CHANGES[change]
    ws, plan = _plan(db_url, AT, table="item", listed=0)
    try:
        assert plan.seen is not None and plan.rows == () and plan.size == 2
        _sql(db_url, statement, later=T + timedelta(hours=3))
        if change == "newly changed":
            _sql(db_url, "UPDATE item SET tag = 'd-newer', version = 3 WHERE id = 4")
        changed = checksum(db_url)
        stale = rf"1 rows of (public\.)?item changed since the plan was made \({key}\): nothing written"
        with pytest.raises(Refused, match=stale):
            apply_bulk_restore(ws, plan)
        assert checksum(db_url) == changed
    finally:
        ws.close()


@pytest.mark.parametrize("change", ["16th digit", "blob byte", "blob to its literal as text"])
def test_sqlite_values_of_another_storage_class_plan_and_are_compared_exactly(tmp_path: Path, change: str) -> None:
    """SQLite keeps a real in an integer column and a blob in a text column: the database's plan reads them (JSON
    would refuse a blob) and tells a change in a real's last digit or a blob's last byte from none."""
    url = f"sqlite:///{tmp_path / 'odd.db'}"
    _items(url)
    _sql(url, "UPDATE item SET note = :blob, version = 2.0000000000000004 WHERE id = 1", blob=b"\xff\x00")
    ws, plan = _plan(url, AT, table="item", listed=0)
    try:
        assert plan.seen is not None and plan.size == 2
        statement = ("UPDATE item SET version = 2.0000000000000009 WHERE id = 1" if change == "16th digit"
                     else "UPDATE item SET note = :other WHERE id = 1")
        _sql(url, statement, other=b"\xff\x01" if change == "blob byte" else "X'FF00'")
        changed = checksum(url)
        with pytest.raises(Refused, match=r"1 rows of item changed since the plan was made \(1\): nothing written"):
            apply_bulk_restore(ws, plan)
        assert checksum(url) == changed
    finally:
        ws.close()
    ws, plan = _plan(url, AT, table="item")
    try:
        apply_bulk_restore(ws, plan)
    finally:
        ws.close()
    assert _sql(url, "SELECT id, tag, note FROM item WHERE id = 1")[0] == [(1, "a-then", "x")]


def test_a_change_a_fraction_of_a_millisecond_after_the_time_is_after_it(db_url: str) -> None:
    """SQLite's date functions keep milliseconds: a change 0.4 ms after T (stored to the microsecond, as SQLAlchemy
    writes it) rounded to T and counted as at it, so the state before it was not T's. Both plans see it after T."""
    stamp = "datetime(6)" if db_url.startswith("mysql") else "timestamp"
    _sql(
        db_url,
        "CREATE TABLE item (id integer PRIMARY KEY, tag varchar(20) NOT NULL, version integer NOT NULL)",
        f"CREATE TABLE item_history (id integer NOT NULL, tag varchar(20), version integer NOT NULL, changed {stamp}, "
        "PRIMARY KEY (id, version))",
        "INSERT INTO item VALUES (1, 'after', 2), (2, 'after', 2)",
        "INSERT INTO item_history VALUES (1, 'at T', 1, :just_after), (2, 'before T', 1, :just_before)",
        just_after=T + timedelta(microseconds=400),
        just_before=T - timedelta(microseconds=400),
    )
    ws, planned = _plan(db_url, AT, table="item")
    try:
        by_python = plan_bulk_restore(ws, "item", at=AT, since=(T - timedelta(seconds=1)).isoformat() + "Z")
    finally:
        ws.close()
    assert planned.seen is not None
    for plan in (planned, by_python):
        assert [(r.key, dict(r.new)) for r in plan.rows if r.key == (1,)] == [((1,), {"tag": "at T"})]
        assert all(r.key != (2,) for r in plan.rows)  # changed before T: its state at T is the live one


def test_sqlite_times_all_in_the_exact_form_compare_as_stored(tmp_path: Path) -> None:
    """Where every time the store holds is text in the form ``YYYY-MM-DD HH:MM:SS.ffffff`` the bulk restore compares
    the column as it is (an index on it serves); one time of another form, a number or a blob, and every time is
    read through sqlite_time again: '2026-01-01T11:00:00' is before T though as text it sorts after it."""
    url = f"sqlite:///{tmp_path / 'times.db'}"
    _sql(
        url,
        "CREATE TABLE item (id integer PRIMARY KEY, tag varchar(20) NOT NULL, version integer NOT NULL)",
        "CREATE TABLE item_history (id integer NOT NULL, tag varchar(20), version integer NOT NULL, changed timestamp, "
        "PRIMARY KEY (id, version))",
        "CREATE INDEX item_history_changed ON item_history (changed)",
        "INSERT INTO item VALUES (1, 'after', 2), (2, 'after', 2)",
        "INSERT INTO item_history VALUES (1, 'at T', 1, '2026-01-01 12:00:00.000400'), (2, 'before T', 1, NULL)",
    )
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            history = Table("item_history", MetaData(), autoload_with=conn)
            assert sqlite_exact(conn, history.c.changed)
            col, value = time_pair(history.c.changed, T, None, "sqlite", exact=True)
            found = conn.execute(text("EXPLAIN QUERY PLAN " + str(select(history.c.id).where(col >= value).compile(
                conn, compile_kwargs={"literal_binds": True})))).all()
            assert "USING INDEX item_history_changed" in found[0][-1]
            for odd in ("'2026-01-01T11:00:00'", "20260101", "zeroblob(26)"):
                conn.execute(text(f"UPDATE item_history SET changed = {odd} WHERE id = 2"))
                assert not sqlite_exact(conn, history.c.changed)
            conn.rollback()
    finally:
        engine.dispose()
    _sql(url, "UPDATE item_history SET changed = '2026-01-01T11:00:00' WHERE id = 2")
    ws, plan = _plan(url, AT, table="item")
    ws.close()
    assert [(r.key, dict(r.new)) for r in plan.rows] == [((1,), {"tag": "at T"})]


def test_listed_keys_are_planned_by_the_database_and_checked_as_they_are_written(db_url: str, tmp_path: Path) -> None:
    """A keys file is planned by the database too (1,000 keys a query): a key no row ever had refuses the plan, a
    row changed between the plan and the write refuses the write, and an unchanged plan writes what it showed."""
    _items(db_url)
    keys = tmp_path / "keys.txt"
    keys.write_text("1\n3\n4\n5\n9\n", encoding="utf-8")
    ws = Workspace(Settings(url=db_url))
    try:
        with pytest.raises(RowNotFound, match=r"names 1 key with no row of (public\.)?item and no history: 9"):
            plan_bulk_restore(ws, "item", at=AT, keys_file=str(keys))
        keys.write_text("1\n3\n4\n5\n", encoding="utf-8")
        plan = plan_bulk_restore(ws, "item", at=AT, keys_file=str(keys))
        assert (plan.seen is not None) == (not db_url.startswith("postgresql")) and [r.key for r in plan.rows] == [
            (1,), (5,)]
        assert plan.skipped == {"already in that state": 1, "unchanged since the time": 1}
        _sql(db_url, "UPDATE item SET note = 'other' WHERE id = 1")
        with pytest.raises(Refused, match=r"1 rows of (public\.)?item changed since the plan was made \(1\)"):
            apply_bulk_restore(ws, plan)
        apply_bulk_restore(ws, plan_bulk_restore(ws, "item", at=AT, keys_file=str(keys)))
    finally:
        ws.close()
    assert _sql(db_url, "SELECT id, tag, note FROM item ORDER BY id")[0] == [
        (1, "a-then", "x"), (3, "c", None), (4, "d-now", "y"), (5, "e-then", "z")]
