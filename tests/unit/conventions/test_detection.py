"""Detection on positive shapes and near misses, from Table definitions (no database)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)

from chrono_cli.config import Config, TableConfig
from chrono_cli.conventions import detect
from chrono_cli.conventions.versioned_rows import VersionedRowsOptions
from chrono_cli.db.reflect import SchemaSnapshot


def _found(md: MetaData, config: Config | None = None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for d in detect(SchemaSnapshot.from_tables(md.tables.values()), config or Config()):
        out.setdefault(d.live.name, []).append(f"{d.adapter}:{d.store.name}")
    return {k: sorted(v) for k, v in out.items()}


def _history_meta_pair(md: MetaData, name: str = "item") -> None:
    Table(name, md, Column("id", Integer, primary_key=True), Column("name", String(50), nullable=False),
          Column("data", Text), Column("version", Integer, nullable=False))
    Table(f"{name}_history", md, Column("id", Integer, primary_key=True), Column("name", String(50), nullable=False),
          Column("data", Text), Column("version", Integer, primary_key=True), Column("changed", DateTime))


def test_history_meta_pair_is_detected_with_evidence() -> None:
    md = MetaData()
    _history_meta_pair(md)
    snapshot = SchemaSnapshot.from_tables(md.tables.values())
    (det,) = detect(snapshot, Config())
    assert (det.adapter, det.live.name, det.store.name, det.key) == ("history-meta", "item", "item_history", ("id",))
    assert any("every column" in e for e in det.evidence)


def test_business_table_named_history_is_not_a_history_store() -> None:
    md = MetaData()
    Table("order_status", md, Column("id", Integer, primary_key=True), Column("label", String(20)))
    Table("order_status_history", md, Column("id", Integer, primary_key=True), Column("order_id", Integer),
          Column("status", String(20)), Column("changed_at", DateTime))
    assert _found(md) == {}


def _degraded(md: MetaData, config: Config | None = None) -> dict[str, tuple[str, ...]]:
    found = detect(SchemaSnapshot.from_tables(md.tables.values()), config or Config())
    return {f"{d.adapter}:{d.live.name}": d.reasons for d in found}


def test_history_table_without_version_in_primary_key_is_a_degraded_detection() -> None:
    md = MetaData()
    Table("item", md, Column("id", Integer, primary_key=True), Column("version", Integer, nullable=False))
    Table("item_history", md, Column("hid", Integer, primary_key=True), Column("id", Integer),
          Column("version", Integer, nullable=False), Column("changed", DateTime))
    assert _degraded(md) == {"history-meta:item": ("primary key of item_history is (hid), not (id, version)",
                                                   "history column hid is no longer in item")}


def test_history_table_without_version_key_or_time_is_not_a_store() -> None:
    md = MetaData()
    Table("item", md, Column("id", Integer, primary_key=True), Column("version", Integer, nullable=False))
    Table("item_history", md, Column("hid", Integer, primary_key=True), Column("id", Integer),
          Column("version", Integer, nullable=False))
    assert _found(md) == {}


def test_history_meta_missing_base_column_is_drift_not_a_lost_history() -> None:
    md = MetaData()
    Table("item", md, Column("id", Integer, primary_key=True), Column("secret", Text),
          Column("version", Integer, nullable=False))
    Table("item_history", md, Column("id", Integer, primary_key=True), Column("version", Integer, primary_key=True),
          Column("changed", DateTime))
    assert _degraded(md) == {"history-meta:item": ("base column secret has no history column",)}
    # declared unrecorded (hidden/untracked/excluded): not drift, a clean detection
    assert _degraded(md, Config(tables={"item": TableConfig(excluded=("secret",))})) == {"history-meta:item": ()}
    # config naming the convention never loses the table's history to drift
    assert _found(md, Config(tables={"item": TableConfig(convention="history-meta")})) == {
        "item": ["history-meta:item_history"]}


def test_history_meta_extra_and_retyped_columns_are_drift() -> None:
    md = MetaData()
    Table("item", md, Column("id", Integer, primary_key=True), Column("code", Text),
          Column("version", Integer, nullable=False))
    Table("item_history", md, Column("id", Integer, primary_key=True), Column("code", Integer),
          Column("gone", Integer), Column("version", Integer, primary_key=True), Column("changed", DateTime))
    (reasons,) = _degraded(md).values()
    assert reasons[0] == "history column gone is no longer in item"
    assert reasons[1].startswith("history column code no longer fits base column code: ")
    assert len(reasons) == 2


def test_a_clean_detection_wins_over_a_degraded_one() -> None:
    md = MetaData()
    _history_meta_pair(md)
    Table("item_audit", md, Column("id", Integer, primary_key=True), Column("version", Integer, primary_key=True),
          Column("name", String(50)), Column("data", Text), Column("legacy", Text),
          Column("changed", DateTime(timezone=True)), Column("change_info", JSON))
    found = detect(SchemaSnapshot.from_tables(md.tables.values()), Config())
    assert [(d.adapter, d.store.name, d.reasons) for d in found] == [("history-meta", "item_history", ())]
    md.remove(md.tables["item_history"])
    found = detect(SchemaSnapshot.from_tables(md.tables.values()), Config())
    assert [(d.adapter, d.store.name, d.reasons) for d in found] == [
        ("chrononaut", "item_audit", ("history column legacy is no longer in item",))]


def test_chrononaut_layout_a_allows_hidden_columns_and_is_not_history_meta() -> None:
    md = MetaData()
    Table("todos", md, Column("id", Integer, primary_key=True), Column("title", String(60), nullable=False),
          Column("secret", Text), Column("version", Integer))
    Table("todos_history", md, Column("id", Integer, primary_key=True), Column("title", String(60), nullable=False),
          Column("version", Integer, primary_key=True), Column("changed", DateTime(timezone=True)),
          Column("change_info", JSON))
    assert _found(md) == {"todos": ["chrononaut:todos_history"]}


def test_chrononaut_custom_history_name_found_by_shape() -> None:
    md = MetaData()
    Table("note", md, Column("id", Integer, primary_key=True), Column("body", Text), Column("version", Integer))
    Table("note_audit", md, Column("id", Integer, primary_key=True), Column("body", Text),
          Column("version", Integer, primary_key=True), Column("changed", DateTime(timezone=True)),
          Column("change_info", JSON))
    assert _found(md) == {"note": ["chrononaut:note_audit"]}


def test_continuum_version_table_is_not_mistaken_for_history_meta() -> None:
    md = MetaData()
    Table("article", md, Column("id", Integer, primary_key=True), Column("name", String(20)),
          Column("version", Integer, nullable=False))
    Table("article_history", md, Column("id", Integer, primary_key=True), Column("name", String(20)),
          Column("version", Integer, primary_key=True), Column("changed", DateTime),
          Column("transaction_id", BigInteger), Column("operation_type", Integer))
    assert _found(md) == {}


def test_versioned_rows_need_version_id_in_a_composite_key() -> None:
    md = MetaData()
    Table("price", md, Column("id", Integer, primary_key=True), Column("version_id", Integer, primary_key=True),
          Column("is_current_version", Boolean), Column("amount", Numeric(10, 2)))
    Table("line_item", md, Column("order_id", Integer, primary_key=True), Column("line", Integer, primary_key=True),
          Column("qty", Integer))
    found = detect(SchemaSnapshot.from_tables(md.tables.values()), Config())
    assert [(d.adapter, d.live.name, d.key) for d in found] == [("versioned-rows", "price", ("id",))]
    assert found[0].opts(VersionedRowsOptions).current_col == "is_current_version"


def test_soft_delete_columns_by_name_and_type() -> None:
    md = MetaData()
    Table("a", md, Column("id", Integer, primary_key=True), Column("deleted_at", DateTime, nullable=True))
    Table("b", md, Column("id", Integer, primary_key=True), Column("deleted_at", DateTime, nullable=False))
    Table("c", md, Column("id", Integer, primary_key=True), Column("deleted", String(3)))
    Table("d", md, Column("id", Integer, primary_key=True), Column("is_archived", Boolean))
    Table("e", md, Column("id", Integer, primary_key=True), Column("archived", Boolean, primary_key=True))
    assert _found(md) == {"a": ["soft-delete:a"], "d": ["soft-delete:d"]}


def test_soft_delete_column_copied_into_history_is_not_a_second_archive() -> None:
    md = MetaData()
    Table("users", md, Column("id", Integer, primary_key=True), Column("is_archived", Boolean),
          Column("version", Integer, nullable=False))
    Table("users_history", md, Column("id", Integer, primary_key=True), Column("is_archived", Boolean),
          Column("version", Integer, primary_key=True), Column("changed", DateTime))
    assert _found(md) == {"users": ["history-meta:users_history", "soft-delete:users"]}


def test_singleton_stores_need_row_confirmation() -> None:
    md = MetaData()
    Table("chrononaut_activity", md, Column("id", BigInteger, primary_key=True), Column("table_name", Text),
          Column("changed", DateTime(timezone=True)), Column("version", Integer), Column("key", JSON),
          Column("data", JSON), Column("user_info", JSON), Column("extra_info", JSON))
    Table("appuser", md, Column("id", Integer, primary_key=True), Column("version", Integer))
    Table("history_record", md, Column("id", Integer, primary_key=True), Column("object_type", String(20)),
          Column("object_id", Integer), Column("updated_at", DateTime), Column("changes", JSON))
    Table("article", md, Column("id", Integer, primary_key=True), Column("author_id", ForeignKey("appuser.id")))
    found = detect(SchemaSnapshot.from_tables(md.tables.values()), Config())
    pairs = sorted((d.adapter, d.live.name) for d in found)
    assert pairs == [("chrononaut-activity", "appuser"), ("potion", "appuser"), ("potion", "article")]
    assert all(d.confirm for d in found)


def test_config_can_pin_a_convention_and_ignore_tables() -> None:
    md = MetaData()
    _history_meta_pair(md, "item")
    _history_meta_pair(md, "thing")
    config = Config(tables={"item": TableConfig(convention="chrononaut"), "thing": TableConfig(ignore=True)})
    assert _found(md, config) == {}


def test_a_store_named_in_config_is_detected_for_reads_too() -> None:
    md = MetaData()
    Table("gadget", md, Column("id", Integer, primary_key=True), Column("name", Text),
          Column("version", Integer, nullable=False))
    Table("gadget_versions", md, Column("id", Integer, primary_key=True), Column("name", Text),
          Column("version", Integer, primary_key=True), Column("changed", DateTime))
    assert _found(md) == {}
    config = Config(tables={"gadget": TableConfig(history="gadget_versions")})
    (det,) = detect(SchemaSnapshot.from_tables(md.tables.values()), config)
    assert (det.adapter, det.store.name, det.reasons) == ("history-meta", "gadget_versions", ())
    assert det.evidence[-1] == "declared in config: [tables.gadget] history = 'gadget_versions'"
