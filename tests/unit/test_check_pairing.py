"""check-migrations without a database: which tables are paired, and what the comparators say about them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects import sqlite

from chrono_cli import conventions
from chrono_cli.config import Config, TableConfig
from chrono_cli.db.reflect import SchemaSnapshot
from chrono_cli.services.check.pairing import find_subjects
from chrono_cli.services.check.registry import KINDS, CheckContext, Subject, comparators_for

Result = tuple[list[Subject], set[tuple[str, str, str, str | None]]]


def run(md: MetaData, config: Config | None = None) -> Result:
    snapshot = SchemaSnapshot.from_tables(md.tables.values())
    config = config or Config()
    # as check-migrations reads: stale config names are findings, not errors
    subjects = find_subjects(snapshot, config, conventions.detect(snapshot, config, missing_ok=True))
    ctx = CheckContext(sqlite.dialect())
    found = set()
    for s in subjects:
        for fn in comparators_for(s.spec):
            for d in fn(s, ctx):
                assert d.kind in KINDS
                found.add((d.kind, d.severity.value, (d.target or s.table).name, d.column))
    return subjects, found


def pairs(subjects: list[Subject]) -> set[tuple[str, str | None, str]]:
    return {(s.table.name, s.history.name if s.history else None, s.convention) for s in subjects}


def history_meta(md: MetaData, name: str, *cols: Any, changed: Any = None) -> None:
    """A base table and the history table SQLAlchemy's history_meta would create for it."""
    Table(name, md, Column("id", Integer, primary_key=True), *cols, Column("version", Integer, nullable=False))
    Table(f"{name}_history", md, Column("id", Integer, primary_key=True, autoincrement=False),
          *[c._copy() for c in cols], Column("version", Integer, primary_key=True, autoincrement=False),
          Column("changed", changed if changed is not None else DateTime()))


def test_history_meta_pair_is_clean() -> None:
    md = MetaData()
    history_meta(md, "item", Column("name", String(50), nullable=False), Column("data", Text))
    subjects, found = run(md)
    assert pairs(subjects) == {("item", "item_history", "history-meta")}
    assert found == set()


def test_near_misses_are_not_history_tables() -> None:
    md = MetaData()
    Table("order_status", md, Column("id", Integer, primary_key=True), Column("code", String(20)))
    Table("order_status_history", md, Column("id", Integer, primary_key=True), Column("status", String(20)),
          Column("changed_at", DateTime))
    Table("document", md, Column("id", Integer, primary_key=True), Column("version", Integer, nullable=False))
    Table("document_history", md, Column("id", Integer, primary_key=True), Column("document_id", Integer),
          Column("version", Integer), Column("body", Text))  # hand-rolled: version not in the key, no changed
    Table("audit", md, Column("id", Integer, primary_key=True), Column("version", Integer, nullable=False),
          Column("transaction_id", Integer))
    subjects, found = run(md)
    assert subjects == [] and found == set()


def test_a_lone_version_column_is_not_versioning() -> None:
    md = MetaData()  # optimistic locking, no history convention in use: nothing to say
    Table("account", md, Column("id", Integer, primary_key=True), Column("version", Integer, nullable=False))
    assert run(md) == ([], set())


def test_missing_history_is_inferred_only_where_the_convention_is_in_use() -> None:
    md = MetaData()
    history_meta(md, "item", Column("name", String(50)))
    Table("widget", md, Column("id", Integer, primary_key=True), Column("version", Integer, nullable=False))
    _, found = run(md)
    assert found == {("missing-history", "error", "widget_history", None)}
    _, found = run(md, Config(tables={"widget": TableConfig(ignore=True)}))
    assert found == set()


def test_declared_conventions_and_stores() -> None:
    md = MetaData()
    Table("widget", md, Column("id", Integer, primary_key=True), Column("version", Integer, nullable=False))
    Table("gadget", md, Column("id", Integer, primary_key=True), Column("version", Integer, nullable=False))
    Table("gadget_versions", md, Column("id", Integer, primary_key=True), Column("version", Integer, primary_key=True),
          Column("changed", DateTime))
    config = Config(tables={"widget": TableConfig(convention="history-meta"),
                            "gadget": TableConfig(history="gadget_versions")})
    subjects, found = run(md, config)
    assert pairs(subjects) == {("widget", "widget_history", "history-meta"),
                               ("gadget", "gadget_versions", "history-meta")}
    assert found == {("missing-history", "error", "widget_history", None)}


def test_chrononaut_custom_name_hidden_columns_and_classification() -> None:
    md = MetaData()
    Table("note", md, Column("id", Integer, primary_key=True), Column("title", String(200), nullable=False),
          Column("secret", Text), Column("version", Integer))
    Table("note_audit", md, Column("id", Integer, primary_key=True), Column("title", String(200), nullable=False),
          Column("version", Integer, primary_key=True), Column("changed", DateTime(timezone=True)),
          Column("change_info", JSON))
    Table("stray_audit", md, Column("id", Integer, primary_key=True), Column("version", Integer, primary_key=True),
          Column("what", Text), Column("changed", DateTime(timezone=True)), Column("change_info", JSON))
    subjects, found = run(md)
    assert pairs(subjects) == {("note", "note_audit", "chrononaut"), ("stray_audit", None, "chrononaut")}
    assert found == {("missing-column", "warning", "note_audit", "secret"),
                     ("orphan-history", "info", "stray_audit", None)}
    _, found = run(md, Config(tables={"note": TableConfig(hidden=("secret",))}))
    assert found == {("orphan-history", "info", "stray_audit", None)}


def test_chrononaut_without_change_info_is_still_chrononaut() -> None:
    md = MetaData()
    Table("todo", md, Column("id", Integer, primary_key=True), Column("version", Integer, nullable=True))
    Table("todo_history", md, Column("id", Integer, primary_key=True), Column("version", Integer, primary_key=True),
          Column("changed", DateTime(timezone=True)))
    subjects, found = run(md)
    assert pairs(subjects) == {("todo", "todo_history", "chrononaut")}
    assert found == {("missing-meta-column", "error", "todo_history", "change_info")}


def test_joined_inheritance_child_keeps_no_version() -> None:
    md = MetaData()
    history_meta(md, "person", Column("name", String(50)))
    Table("engineer", md, Column("id", Integer, primary_key=True), Column("language", String(20)))
    Table("engineer_history", md, Column("id", Integer, primary_key=True), Column("language", String(20)),
          Column("version", Integer, primary_key=True), Column("changed", DateTime),
          ForeignKeyConstraint(["id", "version"], ["person_history.id", "person_history.version"]))
    subjects, found = run(md)
    assert ("engineer", "engineer_history", "history-meta") in pairs(subjects)
    assert found == set()


def test_each_column_rule() -> None:
    md = MetaData()
    Table("t", md, Column("id", Integer, primary_key=True), Column("added", String(10)),
          Column("name", String(100), nullable=True), Column("code", Text), Column("amount", Integer),
          Column("version", Integer, nullable=False))
    Table("t_history", md, Column("id", Integer, primary_key=True), Column("name", String(50), nullable=False,
                                                                           unique=True),
          Column("code", Integer), Column("amount", Text), Column("gone", Integer, nullable=False),
          Column("old", Integer), Column("version", Integer, nullable=False), Column("changed", DateTime))
    _, found = run(md)
    assert found == {
        ("missing-column", "error", "t_history", "added"),
        ("extra-column", "error", "t_history", "gone"),
        ("extra-column", "info", "t_history", "old"),
        ("type-narrowed", "error", "t_history", "name"),
        ("type-narrowed", "error", "t_history", "code"),
        ("type-mismatch", "warning", "t_history", "amount"),
        ("not-null", "error", "t_history", "name"),
        ("unique", "error", "t_history", "name"),
        ("primary-key", "error", "t_history", None),
    }


def test_versioned_rows_uniques_must_include_version_id() -> None:
    md = MetaData()
    Table("price", md, Column("id", Integer), Column("version_id", Integer), Column("sku", String(20), unique=True),
          PrimaryKeyConstraint("id", "version_id"))
    subjects, found = run(md)
    assert pairs(subjects) == {("price", "price", "versioned-rows")}
    assert found == {("unique", "error", "price", "sku")}


def test_stale_config_and_history_meta_changed_may_be_dropped() -> None:
    md = MetaData()
    Table("item", md, Column("id", Integer, primary_key=True), Column("version", Integer, nullable=False))
    Table("item_history", md, Column("id", Integer, primary_key=True), Column("version", Integer, primary_key=True))
    _, found = run(md, Config(tables={"item": TableConfig(excluded=("renamed",))}))
    assert found == {("missing-meta-column", "warning", "item_history", "changed"),
                     ("stale-config", "info", "item", "renamed")}


def test_declared_convention_without_its_store() -> None:
    md = MetaData()
    Table("widget", md, Column("id", Integer, primary_key=True), Column("name", String(20)))
    # a per-table store named after its base: missing-history; a store found by shape only: nothing to name
    subjects, found = run(md, Config(tables={"widget": TableConfig(convention="history-meta")}))
    assert pairs(subjects) == {("widget", "widget_history", "history-meta")}
    assert found == {("missing-history", "error", "widget_history", None)}
    assert run(md, Config(tables={"widget": TableConfig(convention="continuum")})) == ([], set())


def test_drifted_pairs_are_the_detections_reads_use() -> None:
    md = MetaData()
    history_meta(md, "item", Column("name", String(50)))
    Table("item_history", md, Column("legacy", Integer), extend_existing=True)
    subjects, found = run(md)
    assert pairs(subjects) == {("item", "item_history", "history-meta")}
    assert found == {("extra-column", "info", "item_history", "legacy")}
    detections = conventions.detect(SchemaSnapshot.from_tables(md.tables.values()), Config())
    assert [d.reasons for d in detections] == [("history column legacy is no longer in item",)]
