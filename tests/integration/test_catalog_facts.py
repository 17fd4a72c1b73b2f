"""Catalog facts beyond tables and columns (db/facts.py), on real servers, read in one pass with the tables."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection

from chrono_cli.db import facts
from chrono_cli.db.reflect import reflect
from chrono_cli.model import TableRef


@contextmanager
def counted(conn: Connection) -> Iterator[list[str]]:
    """The statements ``conn`` runs inside the block."""
    seen: list[str] = []

    def log(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(conn, "before_cursor_execute", log)
    try:
        yield seen
    finally:
        event.remove(conn, "before_cursor_execute", log)


def _one(snapshot_tables: dict[TableRef, object], name: str) -> object:
    (info,) = [t for ref, t in snapshot_tables.items() if ref.name == name]
    return info


def test_sqlite_triggers_read_only_when_asked(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE invoice (id INTEGER PRIMARY KEY, total NUMERIC)")
        conn.exec_driver_sql("CREATE TABLE invoice_audit (id INTEGER, total NUMERIC, at TIMESTAMP)")
        conn.exec_driver_sql("CREATE TRIGGER invoice_upd AFTER UPDATE OF total ON invoice BEGIN "
                             "INSERT INTO invoice_audit VALUES (old.id, old.total, CURRENT_TIMESTAMP); END")
        conn.exec_driver_sql("CREATE TRIGGER invoice_del BEFORE DELETE ON invoice BEGIN SELECT 1; END")
    with engine.connect() as conn:
        bare = reflect(conn, {None: None}, facts=())
        full = reflect(conn, {None: None}, facts=(facts.TRIGGERS,))
    assert _one(bare.tables, "invoice").triggers == ()  # type: ignore[attr-defined]
    triggers = {t.name: (t.timing, t.events, t.for_each_row) for t in _one(full.tables, "invoice").triggers}  # type: ignore[attr-defined]
    assert triggers == {"invoice_upd": ("AFTER", ("UPDATE",), True), "invoice_del": ("BEFORE", ("DELETE",), True)}
    assert _one(full.tables, "invoice_audit").triggers == ()  # type: ignore[attr-defined]


def test_postgresql_triggers_and_periods_in_one_query_each(pg_url: str) -> None:
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE EXTENSION periods CASCADE")
        for name in ("account", "memo", "plain1", "plain2", "plain3"):
            conn.exec_driver_sql(f"CREATE TABLE {name} (id int PRIMARY KEY, name text, visits int)")
        conn.exec_driver_sql("SELECT periods.add_system_time_period('account', "
                             "excluded_column_names => ARRAY['visits'])")
        conn.exec_driver_sql("SELECT periods.add_system_versioning('account')")
        conn.exec_driver_sql("ALTER TABLE memo ADD COLUMN row_start timestamptz NOT NULL DEFAULT now(), "
                             "ADD COLUMN row_end timestamptz NOT NULL DEFAULT 'infinity'")
        conn.exec_driver_sql("SELECT periods.add_system_time_period('memo', 'row_start', 'row_end')")
    with engine.connect() as conn, counted(conn) as seen:
        snap = reflect(conn, {"public": None}, facts=(facts.TRIGGERS, facts.PERIODS, facts.SEQUENCES))
    account = snap.tables[TableRef("public", "account")]
    (period,) = account.facts[facts.PERIODS]
    assert (period.name, period.start, period.end) == ("system_time", "system_time_start", "system_time_end")
    assert period.history == TableRef("public", "account_history")
    assert period.view == TableRef("public", "account_with_history")
    assert period.excluded == ("visits",) and period.as_of and "account__as_of" in period.as_of
    (memo_period,) = snap.tables[TableRef("public", "memo")].facts[facts.PERIODS]
    assert (memo_period.start, memo_period.end, memo_period.history) == ("row_start", "row_end", None)
    names = {t.name for t in account.triggers}
    assert {"account_system_time_generated_always", "account_system_time_write_history"} <= names
    assert all(t.enabled for t in account.triggers)
    assert facts.PERIODS not in snap.tables[TableRef("public", "plain1")].facts
    # one statement per fact, however many tables: the trigger query and the two of the periods catalog
    assert sum("pg_trigger" in s for s in seen) == 1
    assert sum("FROM periods.periods" in s for s in seen) == 1
    assert snap.sequences is not None


def test_mariadb_system_versioning_invisible_columns_and_triggers(mysql_url: str) -> None:
    engine = create_engine(mysql_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE implicit_sv (id int PRIMARY KEY, a int, "
                             "b int WITHOUT SYSTEM VERSIONING) WITH SYSTEM VERSIONING")
        conn.exec_driver_sql("CREATE TABLE explicit_sv (id int PRIMARY KEY, x int, "
                             "s timestamp(6) GENERATED ALWAYS AS ROW START INVISIBLE, "
                             "e timestamp(6) GENERATED ALWAYS AS ROW END INVISIBLE, "
                             "PERIOD FOR SYSTEM_TIME (s, e)) WITH SYSTEM VERSIONING")
        conn.exec_driver_sql("CREATE TABLE plain (id int PRIMARY KEY, note text, secret int INVISIBLE)")
        conn.exec_driver_sql("CREATE TABLE plain_log (id int, note text)")
        conn.exec_driver_sql("CREATE TRIGGER plain_ins AFTER INSERT ON plain FOR EACH ROW "
                             "INSERT INTO plain_log VALUES (NEW.id, NEW.note)")
        conn.exec_driver_sql("CREATE SEQUENCE tx_seq")
    with engine.connect() as conn:
        snap = reflect(conn, {None: None}, facts=(facts.SYSTEM_VERSIONING, facts.INVISIBLE_COLUMNS,
                                                  facts.TRIGGERS, facts.SEQUENCES))
    implicit = _one(snap.tables, "implicit_sv").facts[facts.SYSTEM_VERSIONING]  # type: ignore[attr-defined]
    assert implicit == facts.SystemVersioning(None, None, ("b",)) and implicit.implicit
    explicit = _one(snap.tables, "explicit_sv").facts  # type: ignore[attr-defined]
    assert explicit[facts.SYSTEM_VERSIONING] == facts.SystemVersioning("s", "e", ())
    assert explicit[facts.INVISIBLE_COLUMNS] == ("s", "e")
    plain = _one(snap.tables, "plain")
    assert facts.SYSTEM_VERSIONING not in plain.facts  # type: ignore[attr-defined]
    assert plain.facts[facts.INVISIBLE_COLUMNS] == ("secret",)  # type: ignore[attr-defined]
    assert [(t.name, t.timing, t.events) for t in plain.triggers] == [("plain_ins", "AFTER", ("INSERT",))]  # type: ignore[attr-defined]
    assert snap.sequences is not None and {r.name for r in snap.sequences} == {"tx_seq"}


def test_an_unknown_fact_is_refused(sqlite_url: str) -> None:
    import pytest

    with create_engine(sqlite_url).connect() as conn, pytest.raises(ValueError, match="unknown catalog fact"):
        reflect(conn, {None: None}, facts=("telepathy",))
