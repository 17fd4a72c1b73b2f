"""Detection of SQLAlchemy-Continuum and django-simple-history: positive shapes and near misses (no database).

The shapes follow the DDL the libraries emit (conventions.md 4.1 and 5.1, checked against Continuum 2.0.0 and
simple-history 3.13.0 on SQLite and PostgreSQL).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

from chrono_cli.config import Config
from chrono_cli.conventions import detect, get
from chrono_cli.conventions.base import Detection
from chrono_cli.conventions.builtin.continuum.options import Association, ContinuumOptions, NativeTriggers
from chrono_cli.conventions.builtin.simple_history.adapter import M2MHistory, SimpleHistoryOptions
from chrono_cli.db.reflect import SchemaSnapshot
from chrono_cli.db.triggers import TriggerInfo


def _detections(md: MetaData) -> list[Detection]:
    return detect(SchemaSnapshot.from_tables(md.tables.values()), Config())


def _found(md: MetaData) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for d in _detections(md):
        out.setdefault(d.live.name, []).append(f"{d.adapter}:{d.store.name}")
    return {k: sorted(v) for k, v in out.items()}


def _one(md: MetaData, live: str) -> Detection:
    (det,) = [d for d in _detections(md) if d.live.name == live]
    return det


# ------------------------------------------------------------------ Continuum


def _transaction(md: MetaData, *, user: bool = True, issued_at: bool = True) -> None:
    cols = [Column("id", BigInteger, primary_key=True), Column("remote_addr", String(50))]
    if issued_at:
        cols.append(Column("issued_at", DateTime))
    if user:
        Table("user", md, Column("id", Integer, primary_key=True), Column("email", String(100)))
        cols.append(Column("user_id", Integer, ForeignKey("user.id"), index=True))
    Table("transaction", md, *cols)


def _bookkeeping(validity: bool = True) -> list[Column]:
    cols = [Column("transaction_id", BigInteger, primary_key=True, autoincrement=False),
            Column("operation_type", SmallInteger, nullable=False)]
    if validity:
        cols.append(Column("end_transaction_id", BigInteger, index=True))
    return cols


def _article(md: MetaData, *, validity: bool = True, version_name: str = "article_version") -> None:
    Table("article", md, Column("id", Integer, primary_key=True), Column("name", String(255), nullable=False),
          Column("content", Text), Column("views", Integer))
    Table(version_name, md, Column("id", Integer, primary_key=True, autoincrement=False),
          Column("name", String(255)), Column("content", Text), *_bookkeeping(validity),
          Column("name_mod", Boolean, nullable=False), Column("content_mod", Boolean, nullable=False))


def test_continuum_validity_with_user_mod_flags_and_excluded_column() -> None:
    md = MetaData()
    _transaction(md)
    _article(md)
    Table("transaction_changes", md, Column("transaction_id", BigInteger, primary_key=True),
          Column("entity_name", String(255), primary_key=True))
    Table("transaction_meta", md, Column("transaction_id", BigInteger, primary_key=True),
          Column("key", String(255), primary_key=True), Column("value", Text))
    assert _found(md) == {"article": ["continuum:article_version"]}
    det = _one(md, "article")
    o = det.opts(ContinuumOptions)
    assert det.key == ("id",) and det.version_col is None
    assert o.strategy == "validity" and o.end_transaction_column == "end_transaction_id"
    assert o.versioned_columns == ("id", "name", "content") and o.excluded == ("views",)
    assert o.mod_columns == {"name": "name_mod", "content": "content_mod"}
    assert (o.user_column, o.user_table) == ("user_id", "user")
    assert o.actor == "user_id shown as user.email"
    assert (o.transaction_changes, o.transaction_meta) == ("transaction_changes", "transaction_meta")
    assert o.entity_name_guess == "Article" and o.native is False and o.associations == ()
    assert any("excluded" in e and "views" in e for e in det.evidence)


def test_continuum_subquery_strategy_without_user_class() -> None:
    md = MetaData()
    _transaction(md, user=False)
    _article(md, validity=False)
    o = _one(md, "article").opts(ContinuumOptions)
    assert o.strategy == "subquery" and o.end_transaction_column is None
    assert o.user_column is None and o.actor is None


def test_continuum_version_table_with_custom_name_is_found_by_shape() -> None:
    md = MetaData()
    _transaction(md, user=False)
    _article(md, version_name="article_revisions")
    assert _found(md) == {"article": ["continuum:article_revisions"]}


def test_continuum_association_table_becomes_membership_of_both_sides() -> None:
    md = MetaData()
    _transaction(md, user=False)
    _article(md)
    Table("tag", md, Column("id", Integer, primary_key=True), Column("name", String(50)))
    Table("tag_version", md, Column("id", Integer, primary_key=True, autoincrement=False), Column("name", String(50)),
          *_bookkeeping())
    Table("article_tag", md, Column("article_id", Integer, ForeignKey("article.id")),
          Column("tag_id", Integer, ForeignKey("tag.id")))  # no primary key, as a plain `secondary` Table
    Table("article_tag_version", md, Column("article_id", Integer), Column("tag_id", Integer), *_bookkeeping())
    assert _found(md) == {"article": ["continuum:article_version"], "tag": ["continuum:tag_version"]}
    (assoc,) = _one(md, "article").opts(ContinuumOptions).associations
    assert assoc == Association("tag", "article_tag", "article_tag_version", {"article_id": "id"}, ("tag_id",))
    assert _one(md, "tag").opts(ContinuumOptions).associations[0].name == "article"


def test_continuum_child_table_with_its_own_key_is_not_an_association() -> None:
    md = MetaData()
    _transaction(md, user=True)
    _article(md)
    Table("comment", md, Column("id", Integer, primary_key=True),
          Column("article_id", Integer, ForeignKey("article.id")),
          Column("author_id", Integer, ForeignKey("user.id")), Column("body", Text))
    Table("comment_version", md, Column("id", Integer, primary_key=True, autoincrement=False),
          Column("article_id", Integer), Column("author_id", Integer), Column("body", Text), *_bookkeeping())
    assert _one(md, "article").opts(ContinuumOptions).associations == ()
    assert _found(md)["comment"] == ["continuum:comment_version"]


def test_continuum_native_versioning_from_triggers() -> None:
    md = MetaData()
    _transaction(md, user=False)
    _article(md)
    snapshot = SchemaSnapshot.from_tables(md.tables.values(), dialect="postgresql")
    article = next(t for t in snapshot if t.ref.name == "article")
    article.triggers = (TriggerInfo("article_trigger", "article_audit", events=("INSERT", "UPDATE", "DELETE")),)
    next(t for t in snapshot if t.ref.name == "transaction").triggers = (
        TriggerInfo("transaction_trigger", "transaction_temp_table_generator", events=("INSERT",)),)
    (det,) = detect(snapshot, Config())
    o = det.opts(ContinuumOptions)
    assert o.native is True and o.native_enabled is True and o.schema_native is True
    assert o.triggers == NativeTriggers("article_trigger", "article_audit", "transaction_trigger")
    article.triggers = (TriggerInfo("article_trigger", "article_audit", enabled=False),)
    (det,) = detect(snapshot, Config())
    assert det.opts(ContinuumOptions).native_enabled is False and any("DISABLED" in e for e in det.evidence)


def test_finance_table_named_transaction_is_not_continuum() -> None:
    md = MetaData()
    _transaction(md, user=False, issued_at=False)  # id, remote_addr ... but no issued_at
    Table("transaction_version", md, Column("id", BigInteger, primary_key=True, autoincrement=False),
          Column("amount", Integer), *_bookkeeping())
    _article(md)
    assert _found(md) == {}


def test_postgresql_audit_transaction_table_is_not_continuum() -> None:
    md = MetaData()
    Table("transaction", md, Column("id", BigInteger, primary_key=True), Column("native_transaction_id", BigInteger),
          Column("issued_at", DateTime), Column("client_addr", String(50)))
    _article(md)
    assert _found(md) == {}


def test_papertrail_transaction_id_without_operation_type_is_not_continuum() -> None:
    md = MetaData()
    _transaction(md, user=False)
    Table("versions", md, Column("id", Integer, primary_key=True), Column("item_type", String(255)),
          Column("item_id", Integer), Column("event", String(255)), Column("whodunnit", String(255)),
          Column("object", Text), Column("created_at", DateTime), Column("transaction_id", Integer, index=True))
    Table("widget", md, Column("id", Integer, primary_key=True), Column("name", String(50)))
    Table("widget_version", md, Column("id", Integer, primary_key=True, autoincrement=False),
          Column("name", String(50)), Column("transaction_id", BigInteger, primary_key=True, autoincrement=False))
    found = [a for names in _found(md).values() for a in names]
    # not Continuum's; the versions table is PaperTrail's, whose tables are confirmed by item_type rows (none here)
    assert found and set(found) == {"paper-trail:versions"}


def test_continuum_related_tables_for_targeted_reflection() -> None:
    names = ["article", "article_version", "transaction", "transaction_meta", "article_tag", "article_tag_version",
             "tag", "tag_version", "user", "comment_version"]
    assert get("continuum").detector.related("article", names) == {
        "article_version", "transaction", "transaction_meta", "article_tag", "article_tag_version"}
    assert get("continuum").detector.related("article", ["article", "transaction"]) == set()


# ------------------------------------------------------------------ django-simple-history


def _auth_user(md: MetaData) -> None:
    Table("auth_user", md, Column("id", Integer, primary_key=True), Column("username", String(150)),
          Column("email", String(254)))


def _history_columns(*, history_type: bool = True, type_length: int = 1) -> list[Column]:
    cols = [Column("history_id", Integer, primary_key=True), Column("history_date", DateTime, nullable=False),
            Column("history_change_reason", String(100)),
            Column("history_user_id", Integer, ForeignKey("auth_user.id"))]
    if history_type:
        cols.append(Column("history_type", String(type_length), nullable=False))
    return cols


def _poll(md: MetaData, base_name: str = "polls_poll", **kw: object) -> None:
    _auth_user(md)
    Table(base_name, md, Column("id", BigInteger, primary_key=True), Column("question", String(200), unique=True),
          Column("votes", Integer), Column("secret", String(20)),
          Column("author_id", Integer, ForeignKey("auth_user.id")))
    Table("polls_historicalpoll", md, Column("id", BigInteger, nullable=False, index=True),
          Column("question", String(200), nullable=False, index=True), Column("votes", Integer),
          Column("author_id", Integer, index=True), *_history_columns(**kw))  # type: ignore[arg-type]


def test_simple_history_by_name_with_excluded_field_and_user() -> None:
    md = MetaData()
    _poll(md)
    assert _found(md) == {"polls_poll": ["simple-history:polls_historicalpoll"]}
    det = _one(md, "polls_poll")
    o = det.opts(SimpleHistoryOptions)
    assert det.key == ("id",) and o.tracked_columns == ("id", "question", "votes", "author_id")
    assert o.excluded == ("secret",) and o.extra_columns == () and o.m2m == ()
    assert (o.user_column, o.user_table, o.actor) == (
        "history_user_id", "auth_user", "history_user_id shown as auth_user.username")
    assert o.history_id_kind == "integer" and o.relation_column is None
    assert any("found by name" in e for e in det.evidence)


def test_simple_history_base_with_custom_db_table_found_by_columns() -> None:
    md = MetaData()
    _poll(md, base_name="custom_poll_table")
    Table("polls_choice", md, Column("id", Integer, primary_key=True), Column("poll_id", Integer))
    det = _one(md, "custom_poll_table")
    assert det.store.name == "polls_historicalpoll"
    assert any("found by its columns" in e for e in det.evidence)


def test_simple_history_m2m_table_becomes_membership() -> None:
    md = MetaData()
    _poll(md)
    Table("polls_tag", md, Column("id", Integer, primary_key=True), Column("name", String(30)))
    Table("polls_poll_tags", md, Column("id", Integer, primary_key=True),
          Column("poll_id", BigInteger, ForeignKey("polls_poll.id")),
          Column("tag_id", Integer, ForeignKey("polls_tag.id")))
    Table("polls_historicalpoll_tags", md, Column("id", BigInteger), Column("poll_id", BigInteger),
          Column("tag_id", BigInteger), Column("history_id", Integer, nullable=False),
          Column("m2m_history_id", Integer, primary_key=True))
    (m2m,) = _one(md, "polls_poll").opts(SimpleHistoryOptions).m2m
    assert m2m == M2MHistory("tags", "tags", "polls_historicalpoll_tags", ("tag_id",), "polls_poll_tags")
    assert "polls_historicalpoll_tags" not in _found(md)


def test_simple_history_m2m_members_without_the_through_table() -> None:
    md = MetaData()
    _poll(md)
    Table("polls_historicalpoll_tags", md, Column("id", BigInteger), Column("poll_id", BigInteger),
          Column("tag_id", BigInteger), Column("history_id", Integer, nullable=False),
          Column("m2m_history_id", Integer, primary_key=True))
    (m2m,) = _one(md, "polls_poll").opts(SimpleHistoryOptions).m2m
    assert m2m.member_columns == ("tag_id",) and m2m.through is None


def test_historical_table_without_history_type_is_not_simple_history() -> None:
    md = MetaData()
    _poll(md, history_type=False)
    assert _found(md) == {}


def test_history_type_wider_than_one_character_is_not_simple_history() -> None:
    md = MetaData()
    _poll(md, type_length=10)
    assert _found(md) == {}


def test_simple_history_related_tables_for_targeted_reflection() -> None:
    names = ["polls_poll", "polls_historicalpoll", "polls_historicalpoll_tags", "polls_poll_tags", "polls_tag",
             "auth_user", "polls_historicalchoice"]
    assert get("simple-history").detector.related("polls_poll", names) == {
        "polls_historicalpoll", "polls_historicalpoll_tags", "polls_poll_tags"}
    related = get("simple-history").detector.related("my_app_thing", ["my_app_historicalthing"])
    assert related == {"my_app_historicalthing"}
