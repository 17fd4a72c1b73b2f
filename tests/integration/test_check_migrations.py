"""check-migrations on real databases: libraries' own schemas check clean, real migrations are caught.

No false positives: databases written by SQLAlchemy's history_meta and versioned-rows examples (via
``tests/support/stories.py``, single-table and joined inheritance), and the Chrononaut 0.2 / 0.4 and
Flask-Potion dumps, pass. Each kind of drift is then produced by an alembic migration (``Operations`` on a
``MigrationContext``), on PostgreSQL and SQLite, and must be reported with the right kind and severity;
the DDL ``--suggest`` prints, applied to the database, must make the next check clean.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import sqlalchemy
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    create_engine,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from typer.testing import CliRunner

from tests.conftest import StoryClone, invoke
from tests.integration.restore_support import sa_examples_clone
from tests.support.sa_examples import load_history_meta

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
Found = set[tuple[str, str, str, str | None]]


# --------------------------------------------------------------------------- helpers


def check(runner: CliRunner, url: str, *extra: str, config: Path | None = None) -> tuple[int, dict[str, Any]]:
    """Run ``chrono check-migrations -f json``; return the exit code and the document."""
    head = ["--db", url] + (["--config", str(config)] if config else [])
    result = invoke(runner, [*head, "check-migrations", "-f", "json", *extra], catch_exceptions=False)
    assert result.exit_code in (0, 3), result.stderr
    return result.exit_code, json.loads(result.stdout)


def found(doc: dict[str, Any], *, info: bool = True) -> Found:
    """(kind, severity, target table, column) of every finding; table names without their schema."""
    return {(f["kind"], f["severity"], f["target"].rsplit(".", 1)[-1], f["column"]) for f in doc["findings"]
            if info or f["severity"] != "info"}


def migrate(url: str, change: Callable[[Operations], None]) -> None:
    """Run one migration step through alembic, as ``alembic upgrade`` would."""
    engine = create_engine(url)
    with engine.begin() as conn:
        change(Operations(MigrationContext.configure(conn)))
    engine.dispose()


def apply(url: str, statements: list[str]) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()


def load_fixture(url: str, name: str) -> None:
    u = make_url(url)
    conn = psycopg2.connect(host=u.host, port=u.port, user=u.username, dbname=u.database)
    with conn, conn.cursor() as cur:
        cur.execute((FIXTURES / f"{name}.sql").read_text())
    conn.close()


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "chrono.toml"
    path.write_text(text)
    return path


def run_alembic(url: str, code: str) -> None:
    """Run suggested ``op.`` lines as the body of an alembic ``upgrade()``."""
    engine = create_engine(url)
    with engine.begin() as conn, warnings.catch_warnings():
        warnings.simplefilter("ignore", sqlalchemy.exc.SAWarning)  # alembic's batch create_primary_key on SQLite
        op = Operations(MigrationContext.configure(conn))
        exec(code, {"op": op, "sa": sqlalchemy, "postgresql": postgresql, "sqlite": sqlite_dialect})  # noqa: S102
    engine.dispose()


def assert_suggestion_fixes(runner: CliRunner, url: str, config: Path | None = None, via: str = "ddl") -> None:
    """Apply what --suggest prints (DDL, or the alembic op lines); the next check has no errors or warnings."""
    _, doc = check(runner, url, "--suggest", config=config)
    migration = doc.get("migration")
    assert migration and migration["ddl"] and migration["alembic"], doc
    per_finding = [s for f in doc["findings"] if f.get("fix") for s in f["fix"]["ddl"]]
    assert per_finding == migration["ddl"]
    assert all(f.get("fix") for f in doc["findings"] if f["severity"] != "info"), doc["findings"]
    if via == "ddl":
        apply(url, migration["ddl"])
    else:
        run_alembic(url, migration["alembic"])
    code, after = check(runner, url, "--strict", config=config)
    assert found(after, info=False) == set(), after["findings"]
    assert code == 0


@pytest.fixture
def story_db(sqlite_or_pg_backend: str, story_clone: StoryClone) -> str:
    """history_meta (users + single-table inheritance) and versioned rows, written by the real examples."""
    return sa_examples_clone(story_clone, sqlite_or_pg_backend)


# --------------------------------------------------------------------------- no false positives


def test_history_meta_and_versioned_rows_check_clean(backend: str, story_clone: StoryClone) -> None:
    db_url = sa_examples_clone(story_clone, backend)
    code, doc = check(CliRunner(), db_url, "--strict")
    assert code == 0
    assert doc["findings"] == []
    pairs = {(c["table"].rsplit(".", 1)[-1], (c["history"] or "").rsplit(".", 1)[-1], c["convention"])
             for c in doc["checked"]}
    assert pairs == {("appuser", "appuser_history", "history-meta"), ("employee", "employee_history", "history-meta"),
                     ("price", "price", "versioned-rows")}


def _joined_models() -> type[DeclarativeBase]:
    hm = load_history_meta()

    class Base(DeclarativeBase):
        pass

    class Owner(hm.Versioned, Base):
        __tablename__ = "owner"
        id = Column(Integer, primary_key=True)
        name = Column(String(50), nullable=False, unique=True)

    class Item(hm.Versioned, Base):
        __tablename__ = "item"
        id = Column(Integer, primary_key=True)
        name = Column(String(50), unique=True, nullable=False)
        data = Column(Text, index=True, server_default="x")
        amount = Column(Numeric(12, 3))
        seen = Column(DateTime(timezone=True))
        owner_id = Column(Integer, ForeignKey("owner.id"))
        kind = Column(String(20), nullable=False)
        __table_args__ = (Index("ix_item_kind_name", "kind", "name", unique=True),)
        __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "item"}

    class Gadget(Item):  # joined inheritance: gadget_history refers to item_history by (id, version)
        __tablename__ = "gadget"
        id = Column(Integer, ForeignKey("item.id"), primary_key=True)
        voltage = Column(BigInteger, nullable=False)
        __table_args__: dict[str, Any] = {}
        __mapper_args__ = {"polymorphic_identity": "gadget"}

    Base.registry.configure()
    Base.Owner, Base.Item, Base.Gadget = Owner, Item, Gadget  # type: ignore[attr-defined]
    return Base


_JOINED: list[type[DeclarativeBase]] = []


def test_joined_inheritance_unique_indexes_and_fks_check_clean(db_url: str) -> None:
    if not _JOINED:
        _JOINED.append(_joined_models())
    base = _JOINED[0]
    hm = load_history_meta()
    engine = create_engine(db_url)
    base.metadata.create_all(engine)
    factory = sessionmaker(engine)
    hm.versioned_session(factory)
    with factory.begin() as s:
        s.add(base.Owner(id=1, name="o"))  # type: ignore[attr-defined]
    with factory.begin() as s:
        s.add(base.Gadget(id=1, name="g", voltage=5, owner_id=1))  # type: ignore[attr-defined]
    for volts in (12, 24):
        with factory.begin() as s:
            s.get(base.Gadget, 1).voltage = volts  # type: ignore[attr-defined]
    with Session(engine) as s:
        assert s.query(base.Gadget.__history_mapper__.class_).count() == 2  # type: ignore[attr-defined]
    engine.dispose()
    code, doc = check(CliRunner(), db_url, "--strict")
    assert (code, doc["findings"]) == (0, [])
    assert {c["table"].rsplit(".", 1)[-1] for c in doc["checked"]} == {"owner", "item", "gadget"}


@pytest.mark.parametrize("name", ["chrononaut_04", "potion"])
def test_library_dumps_check_clean(pg_url: str, name: str) -> None:
    load_fixture(pg_url, name)
    code, doc = check(CliRunner(), pg_url, "--strict")
    assert (code, doc["findings"]) == (0, [])
    assert doc["checked"]


def test_chrononaut_hidden_columns_warn_until_declared(pg_url: str, tmp_path: Path) -> None:
    load_fixture(pg_url, "chrononaut_02")
    runner = CliRunner()
    code, doc = check(runner, pg_url)
    assert code == 0
    assert found(doc) == {("missing-column", "warning", "appuser_history", "password"),
                          ("missing-column", "warning", "appuser_history", "last_seen")}
    messages = " ".join(f["message"] for f in doc["findings"])
    assert '[tables.appuser] hidden = ["password"]' in messages
    assert check(runner, pg_url, "--strict")[0] == 3
    config = write_config(tmp_path, '[tables.appuser]\nhidden = ["password"]\nuntracked = ["last_seen"]\n')
    code, doc = check(runner, pg_url, "--strict", config=config)
    assert (code, doc["findings"]) == (0, [])
    assert {(c["table"].rsplit(".", 1)[-1], c["history"].rsplit(".", 1)[-1]) for c in doc["checked"]} == \
        {("appuser", "appuser_history"), ("note", "note_audit")}  # order_status_history is not history


# --------------------------------------------------------------------------- drift from real migrations


def _batch(table: str, fn: Callable[[Any], None]) -> Callable[[Operations], None]:
    def change(op: Operations) -> None:
        with op.batch_alter_table(table) as batch:
            fn(batch)
    return change


def _widget(history_pk: tuple[str, ...], unique_sku: bool, history: bool = True) -> Callable[[Operations], None]:
    """A new versioned model whose hand-written migration gets the history table wrong."""
    def change(op: Operations) -> None:
        op.create_table("widget", Column("id", Integer, primary_key=True), Column("sku", String(20), nullable=False),
                        Column("version", Integer, nullable=False), UniqueConstraint("sku", name="uq_widget_sku"))
        if history:
            extra = [UniqueConstraint("sku", name="uq_widget_history_sku")] if unique_sku else []
            op.create_table("widget_history", Column("id", Integer, nullable=False, autoincrement=False),
                            Column("sku", String(20), nullable=False), Column("version", Integer, nullable=False),
                            Column("changed", DateTime), PrimaryKeyConstraint(*history_pk), *extra)
    return change


SCENARIOS: dict[str, tuple[Callable[[Operations], None], Found, bool]] = {
    # name: (migration, expected findings, whether --suggest must be able to fix it)
    "column added to the base only": (
        lambda op: op.add_column("appuser", Column("nickname", String(40))),
        {("missing-column", "error", "appuser_history", "nickname")}, True),
    "varchar widened in the base only": (
        _batch("appuser", lambda b: b.alter_column("name", type_=String(200), existing_type=String(80))),
        {("type-narrowed", "error", "appuser_history", "name")}, True),
    "numeric precision and scale raised in the base only": (
        _batch("appuser", lambda b: b.alter_column("balance", type_=Numeric(12, 4), existing_type=Numeric(10, 2))),
        {("type-narrowed", "error", "appuser_history", "balance")}, True),
    "history column turned into text": (
        _batch("appuser_history", lambda b: b.alter_column("balance", type_=Text(), existing_type=Numeric(10, 2))),
        {("type-mismatch", "warning", "appuser_history", "balance")}, True),
    "varchar narrowed in the base only": (
        _batch("appuser", lambda b: b.alter_column("role", type_=String(10), existing_type=String(20))),
        {("type-widened", "info", "appuser_history", "role")}, False),
    "NOT NULL column dropped from the base": (
        _batch("appuser", lambda b: b.drop_column("email")),
        {("extra-column", "error", "appuser_history", "email")}, True),
    "nullable column dropped from the base": (
        _batch("appuser", lambda b: b.drop_column("role")),
        {("extra-column", "info", "appuser_history", "role")}, False),
    "base column made nullable": (
        _batch("employee", lambda b: b.alter_column("name", nullable=True, existing_type=String(50))),
        {("not-null", "error", "employee_history", "name")}, True),
    "unique index added to a history table": (
        lambda op: op.create_index("ix_price_sku_amount", "price", ["sku", "amount"], unique=True),
        {("unique", "error", "price", None)}, True),
    "history table keyed without version, unique copied": (
        _widget(("id",), unique_sku=True),
        {("primary-key", "error", "widget_history", None), ("unique", "error", "widget_history", "sku")}, True),
    "history key with an extra column": (
        _widget(("id", "version", "sku"), unique_sku=False),
        {("primary-key", "warning", "widget_history", None)}, True),
    "versioned table without a history table": (
        _widget(("id", "version"), unique_sku=False, history=False),
        {("missing-history", "warning", "widget_history", None)}, True),
    "base table dropped": (
        lambda op: op.drop_table("appuser"),
        {("orphan-history", "info", "appuser_history", None)}, False),
    "changed column dropped from history": (
        _batch("appuser_history", lambda b: b.drop_column("changed")),
        {("missing-meta-column", "warning", "appuser_history", "changed")}, True),
    "version column dropped from the base": (
        _batch("appuser", lambda b: b.drop_column("version")),
        {("missing-meta-column", "error", "appuser", "version")}, True),
    "history version turned into text": (
        _batch("appuser_history", lambda b: b.alter_column("version", type_=Text(), existing_type=Integer())),
        {("meta-type", "error", "appuser_history", "version")}, True),
}


@pytest.mark.parametrize("via", ["ddl", "alembic"])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_drift_is_reported_and_the_suggestion_fixes_it(story_db: str, scenario: str, via: str) -> None:
    change, expected, fixable = SCENARIOS[scenario]
    runner = CliRunner()
    assert check(runner, story_db, "--strict")[0] == 0
    migrate(story_db, change)
    code, doc = check(runner, story_db)
    assert found(doc) == expected
    fails = any(severity == "error" for _, severity, _, _ in expected)
    assert code == (3 if fails else 0)
    assert check(runner, story_db, "--strict")[0] == (3 if fails or any(s == "warning" for _, s, _, _ in expected)
                                                     else 0)
    if fixable:
        assert_suggestion_fixes(runner, story_db, via=via)


def test_declared_versioned_table_without_history_is_an_error(story_db: str, tmp_path: Path) -> None:
    migrate(story_db, _widget(("id", "version"), unique_sku=False, history=False))
    config = write_config(tmp_path, '[tables.widget]\nconvention = "history-meta"\n')
    code, doc = check(CliRunner(), story_db, config=config)
    assert code == 3
    assert found(doc) == {("missing-history", "error", "widget_history", None)}
    assert_suggestion_fixes(CliRunner(), story_db, config)


def test_config_exclusions_ignores_and_severity_overrides(story_db: str, tmp_path: Path) -> None:
    runner = CliRunner()
    migrate(story_db, lambda op: op.add_column("appuser", Column("nickname", String(40))))
    migrate(story_db, _batch("employee", lambda b: b.alter_column("name", nullable=True, existing_type=String(50))))
    config = write_config(tmp_path, '[tables.appuser]\nexcluded = ["nickname", "gone"]\n'
                                    '[tables.employee]\nseverity = {not-null = "warning"}\n')
    code, doc = check(runner, story_db, config=config)
    assert found(doc) == {("stale-config", "info", "appuser", "gone"),
                          ("not-null", "warning", "employee_history", "name")}
    assert code == 0
    assert check(runner, story_db, "--strict", config=config)[0] == 3
    config.write_text('[tables.appuser]\nexcluded = ["nickname"]\n[tables.employee]\nignore = true\n')
    code, doc = check(runner, story_db, "--strict", config=config)
    assert (code, doc["findings"]) == (0, [])
    assert "employee" not in {c["table"].rsplit(".", 1)[-1] for c in doc["checked"]}


def test_table_option_limits_the_check(story_db: str) -> None:
    runner = CliRunner()
    migrate(story_db, lambda op: op.add_column("appuser", Column("nickname", String(40))))
    assert check(runner, story_db, "--table", "employee")[0] == 0
    code, doc = check(runner, story_db, "--table", "appuser_history")
    assert code == 3 and found(doc) == {("missing-column", "error", "appuser_history", "nickname")}
    assert [c["table"].rsplit(".", 1)[-1] for c in doc["checked"]] == ["appuser"]


# --------------------------------------------------------------------------- library dumps, PostgreSQL only


CHRONONAUT = '[tables.appuser]\nhidden = ["password"]\nuntracked = ["last_seen"]\n'
DUMP_SCENARIOS: dict[str, tuple[str, Callable[[Operations], None], Found]] = {
    "chrononaut 0.2: change_info dropped": (
        "chrononaut_02", lambda op: op.drop_column("appuser_history", "change_info"),
        {("missing-meta-column", "error", "appuser_history", "change_info")}),
    "chrononaut 0.2: changed without time zone": (
        "chrononaut_02", lambda op: op.alter_column("note_audit", "changed", type_=DateTime(timezone=False),
                                                    existing_type=DateTime(timezone=True)),
        {("meta-type", "warning", "note_audit", "changed")}),
    "chrononaut 0.2: column added to the base only": (
        "chrononaut_02", lambda op: op.add_column("appuser", Column("nickname", String(40))),
        {("missing-column", "warning", "appuser_history", "nickname")}),
    "chrononaut 0.2: custom-named history narrowed": (
        "chrononaut_02", lambda op: op.alter_column("note_audit", "title", type_=String(100),
                                                    existing_type=String(200)),
        {("type-narrowed", "error", "note_audit", "title")}),
    "chrononaut 0.4: activity data column dropped": (
        "chrononaut_04", lambda op: op.drop_column("chrononaut_activity", "extra_info"),
        {("missing-meta-column", "error", "chrononaut_activity", "extra_info")}),
    "chrononaut 0.4: base version dropped": (
        "chrononaut_04", lambda op: op.drop_column("appuser", "version"),
        {("missing-meta-column", "error", "appuser", "version")}),
    "potion: changes dropped": (
        "potion", lambda op: op.drop_column("history_record", "changes"),
        {("missing-meta-column", "error", "history_record", "changes")}),
}


@pytest.mark.parametrize("via", ["ddl", "alembic"])
@pytest.mark.parametrize("scenario", list(DUMP_SCENARIOS))
def test_drift_in_library_dumps(pg_url: str, tmp_path: Path, scenario: str, via: str) -> None:
    name, change, expected = DUMP_SCENARIOS[scenario]
    load_fixture(pg_url, name)
    config = write_config(tmp_path, CHRONONAUT if name == "chrononaut_02" else "")
    runner = CliRunner()
    assert check(runner, pg_url, "--strict", config=config)[0] == 0
    migrate(pg_url, change)
    code, doc = check(runner, pg_url, config=config)
    assert found(doc) == expected
    assert code == (3 if any(s == "error" for _, s, _, _ in expected) else 0)
    assert_suggestion_fixes(runner, pg_url, config, via=via)



def _statements_for_check(url: str) -> int:
    from sqlalchemy import event

    from chrono_cli.config import Config
    from chrono_cli.services import check as check_service
    from chrono_cli.services.workspace import Settings, Workspace

    ws = Workspace(Settings(url, (), Config()))
    sent: list[str] = []
    event.listen(ws.engine, "before_cursor_execute", lambda *args: sent.append(args[2]))
    report = check_service.run(ws)
    ws.close()
    assert not report.failed
    return len(sent)


def test_one_bulk_catalog_read_whatever_the_number_of_tables(pg_url: str) -> None:
    def add_pairs(start: int, count: int) -> None:
        engine = create_engine(pg_url)
        with engine.begin() as conn:
            for i in range(start, start + count):
                conn.exec_driver_sql(f"CREATE TABLE t{i} (id serial PRIMARY KEY, name varchar(20) UNIQUE, "
                                     "version integer NOT NULL)")
                conn.exec_driver_sql(f"CREATE TABLE t{i}_history (id integer NOT NULL, name varchar(20), "
                                     "version integer NOT NULL, changed timestamp, PRIMARY KEY (id, version))")
        engine.dispose()

    add_pairs(0, 3)
    few = _statements_for_check(pg_url)
    add_pairs(3, 60)
    assert _statements_for_check(pg_url) == few
