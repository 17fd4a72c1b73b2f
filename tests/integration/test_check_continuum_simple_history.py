"""check-migrations on databases written by the real SQLAlchemy-Continuum and django-simple-history.

No false positives: the story databases (``tests/support/continuum_story.py`` /
``simple_history_story.py``, run in subprocesses) pass ``--strict``. Drift is then produced by real DDL
(alembic ``Operations``) on SQLite and PostgreSQL and must be reported with the right kind and severity;
the DDL ``--suggest`` prints, applied, must make the next check pass.
"""

from __future__ import annotations

from pathlib import Path

from alembic.operations import Operations
from sqlalchemy import Boolean, Column, Integer, Numeric, String, text
from typer.testing import CliRunner

from tests.conftest import StoryClone
from tests.integration.restore_support import support_clone
from tests.integration.test_check_migrations import (
    apply,
    assert_suggestion_fixes,
    check,
    found,
    migrate,
    write_config,
)

# excluded_fields=["secret"] leaves no trace in the schema (unlike Continuum's exclude, whose missing
# `<col>_mod` flag shows it): the app declares it, so chrono must be told.
POLL_CONFIG = '[tables.djangoapp_poll]\nexcluded = ["secret"]\n'




def _checked(doc: dict) -> set[tuple[str, str]]:
    return {(c["table"].rsplit(".", 1)[-1], c["convention"]) for c in doc["checked"]}


# --------------------------------------------------------------------------- SQLAlchemy-Continuum


def test_continuum_story_checks_clean(sqlite_or_pg_backend: str, story_clone: StoryClone, tmp_path: Path) -> None:
    sqlite_or_pg_url, _ = support_clone(story_clone, sqlite_or_pg_backend, "continuum_story")
    code, doc = check(CliRunner(), sqlite_or_pg_url, "--strict")
    assert code == 0 and doc["findings"] == [], doc["findings"]
    assert _checked(doc) == {("article", "continuum"), ("tag", "continuum"), ("article_tag", "continuum"),
                             ("tag", "soft-delete")}  # what `chrono tables` shows: tag's archive column too
    assert not any("not checked: continuum" in n for n in doc["summary"]["notes"])


def test_continuum_subquery_strategy_checks_clean(sqlite_or_pg_backend: str, story_clone: StoryClone,
                                                  tmp_path: Path) -> None:
    sqlite_or_pg_url, _ = support_clone(story_clone, sqlite_or_pg_backend, "continuum_story", "--strategy", "subquery",
                                        "--no-user")
    code, doc = check(CliRunner(), sqlite_or_pg_url, "--strict")
    assert code == 0 and doc["findings"] == [], doc["findings"]


def _continuum_drift(ops: Operations) -> None:
    with ops.batch_alter_table("article_tag") as b:        # a new base column, version table forgotten
        b.add_column(Column("note", String(40)))
    with ops.batch_alter_table("tag") as b:                # half a migration: the _mod flag but not the column
        b.add_column(Column("colour", String(10)))
    with ops.batch_alter_table("tag_version") as b:
        b.add_column(Column("colour_mod", Boolean, nullable=False, server_default=text("false")))
    with ops.batch_alter_table("article") as b:            # NOT NULL on the base: never drift for Continuum
        b.alter_column("content", existing_type=String, nullable=False)
    with ops.batch_alter_table("tag_version") as b:        # each tag was written once: the constraint holds
        b.create_unique_constraint("uq_tag_version_name", ["name"])
    with ops.batch_alter_table("article_version") as b:    # base score allows NULL: the next NULL breaks
        b.alter_column("score", existing_type=Numeric(8, 2), nullable=False)


def test_continuum_drift_reported_and_suggestion_fixes(sqlite_or_pg_backend: str,
                                                       story_clone: StoryClone, tmp_path: Path) -> None:
    sqlite_or_pg_url, _ = support_clone(story_clone, sqlite_or_pg_backend, "continuum_story")
    apply(sqlite_or_pg_url, ["UPDATE article SET content = '' WHERE content IS NULL",
                             "UPDATE article_version SET score = 0 WHERE score IS NULL"])
    migrate(sqlite_or_pg_url, _continuum_drift)
    runner = CliRunner()
    code, doc = check(runner, sqlite_or_pg_url)
    assert code == 3
    assert found(doc) == {
        ("missing-column", "warning", "article_tag_version", "note"),
        ("missing-column", "warning", "tag_version", "colour"),
        ("unique", "error", "tag_version", "name"),
        ("not-null", "error", "article_version", "score"),
    }
    note = next(f for f in doc["findings"] if f["column"] == "note")
    assert '[tables.article_tag] excluded = ["note"]' in note["message"]
    assert_suggestion_fixes(runner, sqlite_or_pg_url)


def test_continuum_exclusion_declared_and_dropped_column(sqlite_or_pg_backend: str,
                                                         story_clone: StoryClone, tmp_path: Path) -> None:
    sqlite_or_pg_url, _ = support_clone(story_clone, sqlite_or_pg_backend, "continuum_story")

    def change(ops: Operations) -> None:
        with ops.batch_alter_table("article_tag") as b:
            b.add_column(Column("note", String(40)))
        with ops.batch_alter_table("article") as b:
            b.drop_column("score")

    migrate(sqlite_or_pg_url, change)
    config = write_config(tmp_path, '[tables.article_tag]\nexcluded = ["note"]\n')
    code, doc = check(CliRunner(), sqlite_or_pg_url, "--strict", config=config)
    assert code == 0
    assert found(doc) == {("extra-column", "info", "article_version", "score")}


def test_continuum_native_trigger(story_clone: StoryClone, tmp_path: Path) -> None:
    pg_url, _ = support_clone(story_clone, "postgresql", "continuum_story", "--native")
    runner = CliRunner()
    code, doc = check(runner, pg_url, "--strict")
    assert code == 0 and doc["findings"] == [], doc["findings"]
    apply(pg_url, ["ALTER TABLE article DISABLE TRIGGER article_trigger"])
    code, doc = check(runner, pg_url)
    assert code == 3
    assert found(doc) == {("trigger", "error", "article", None)}
    assert_suggestion_fixes(runner, pg_url)
    apply(pg_url, ["DROP TRIGGER tag_trigger ON tag"])
    code, doc = check(runner, pg_url, "--suggest")
    assert found(doc) == {("trigger", "error", "tag", None)}
    assert "sync_trigger(op.get_bind(), 'tag_version')" in doc["findings"][0]["fix"]["alembic"]


def test_continuum_native_dropped_column_needs_sync_trigger(story_clone: StoryClone, tmp_path: Path) -> None:
    pg_url, _ = support_clone(story_clone, "postgresql", "continuum_story", "--native")
    apply(pg_url, ["ALTER TABLE article DROP COLUMN score"])
    code, doc = check(CliRunner(), pg_url, "--strict")
    assert code == 3
    assert found(doc) == {("extra-column", "warning", "article_version", "score")}


# --------------------------------------------------------------------------- django-simple-history


def test_simple_history_story_checks_clean(sqlite_or_pg_backend: str, story_clone: StoryClone, tmp_path: Path) -> None:
    sqlite_or_pg_url, _ = support_clone(story_clone, sqlite_or_pg_backend, "simple_history_story")
    runner = CliRunner()
    code, doc = check(runner, sqlite_or_pg_url, "--strict", config=write_config(tmp_path, POLL_CONFIG))
    assert code == 0 and doc["findings"] == [], doc["findings"]
    assert _checked(doc) == {("djangoapp_poll", "simple-history"), ("custom_choice_table", "simple-history"),
                             ("custom_choice_table", "soft-delete")}
    code, doc = check(runner, sqlite_or_pg_url, "--strict")  # undeclared: excluded_fields or drift
    assert code == 3
    assert found(doc) == {("missing-column", "warning", "djangoapp_historicalpoll", "secret")}


def _simple_history_drift(ops: Operations) -> None:
    with ops.batch_alter_table("djangoapp_poll") as b:        # a new field, historical model not migrated
        b.add_column(Column("rank", Integer, nullable=False, server_default="0"))
        b.add_column(Column("note", String(30), server_default=""))
    with ops.batch_alter_table("djangoapp_historicalpoll") as b:
        b.add_column(Column("note", String(30)))
    with ops.batch_alter_table("djangoapp_poll") as b:        # then made NOT NULL on the base only
        b.alter_column("note", existing_type=String(30), nullable=False)
    with ops.batch_alter_table("djangoapp_historicalchoice") as b:  # a constraint that blocks deleting polls
        b.create_foreign_key("fk_historicalchoice_poll", "djangoapp_poll", ["poll_id"], ["id"])


def test_simple_history_drift_reported_and_suggestion_fixes(sqlite_or_pg_backend: str,
                                                            story_clone: StoryClone, tmp_path: Path) -> None:
    sqlite_or_pg_url, _ = support_clone(story_clone, sqlite_or_pg_backend, "simple_history_story")
    migrate(sqlite_or_pg_url, _simple_history_drift)
    config = write_config(tmp_path, POLL_CONFIG)
    runner = CliRunner()
    code, doc = check(runner, sqlite_or_pg_url, config=config)
    assert code == 3
    assert found(doc) == {
        ("missing-column", "warning", "djangoapp_historicalpoll", "rank"),
        ("nullable", "info", "djangoapp_historicalpoll", "note"),
        ("foreign-key", "error", "djangoapp_historicalchoice", "poll_id"),
    }
    rank = next(f for f in doc["findings"] if f["column"] == "rank")
    assert "#793" in rank["message"]
    assert_suggestion_fixes(runner, sqlite_or_pg_url, config=config)


def test_simple_history_dropped_field(sqlite_or_pg_backend: str, story_clone: StoryClone, tmp_path: Path) -> None:
    sqlite_or_pg_url, _ = support_clone(story_clone, sqlite_or_pg_backend, "simple_history_story")

    def change(ops: Operations) -> None:
        ops.drop_index("djangoapp_poll_author_id_4b143d18", table_name="djangoapp_poll")
        with ops.batch_alter_table("djangoapp_poll") as b:
            b.drop_column("author_id")

    migrate(sqlite_or_pg_url, change)
    code, doc = check(CliRunner(), sqlite_or_pg_url, "--strict", config=write_config(tmp_path, POLL_CONFIG))
    assert code == 0
    assert found(doc) == {("extra-column", "info", "djangoapp_historicalpoll", "author_id")}
