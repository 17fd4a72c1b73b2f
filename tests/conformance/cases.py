"""One ``ConventionCase`` per history convention that has a library story: what the conformance suite runs.

Adding a convention = a story that lets the real library write a history (tests/support/), a reader that
reads it back through the library (readers.py), and one case here. test_conformance.py does the rest on
every backend the case lists: chrono's timeline equals the library's reading, a restore reads back through
the library with the pre-restore state kept, the library's next ordinary save works and chrono reads it,
check-migrations passes the pristine database and reports the case's drift.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conformance import dump_readers, readers
from tests.support import paper_trail
from tests.support.stories import history_meta_story, versioned_rows_story

BACKENDS = ("sqlite", "postgresql", "mariadb")
Reader = Callable[..., readers.Reading]
Finding = tuple[str, str, str, str | None]


@dataclass(frozen=True)
class Restore:
    """Restore ``table`` ``key`` to the library's ``index``-th recorded state (its version number is used).

    ``op``: what the library records for the write (``insert`` when the record is deleted: an undelete).
    """

    table: str
    key: str
    index: int
    op: str = "update"


@dataclass(frozen=True)
class Drift:
    """DDL an incomplete migration would run, and the finding ``check-migrations --strict`` must report."""

    ddl: tuple[str, ...]
    finding: Finding


@dataclass(frozen=True)
class ConventionCase:
    """A convention, the library story that writes it, and how the library reads it back."""

    name: str
    convention: str                   # chrono's name for it (``history -f json`` "convention")
    backends: tuple[str, ...]
    build: Callable[[str, Path], Any] | None  # writes the story into an empty database, returns its record;
                                      # None: read(url, workdir, build=True) runs it in the reader's process
    read: Reader                      # read(url, workdir, save=None | (table, key)) -> readers.Reading
    restore: Restore
    drift: Drift
    checked: frozenset[tuple[str, str | None, str]]  # (table, history table, convention) check-migrations checks
    not_on: Mapping[str, str] = field(default_factory=dict)  # backend -> why the library does not run there
    config: str = ""                  # chrono.toml the check needs (what the app declared in code only)
    relation_columns: frozenset[str] = frozenset()  # many-to-many members chrono shows as a column
    unrecorded: frozenset[str] = frozenset()        # columns chrono may list as not recorded by the library
    no_times: str = ""                # why the library stores no time: chrono must show none and refuse --at
    bypassed: frozenset[tuple[str, str]] = frozenset()  # (table, key) the story changed behind the library's back
    stamped: frozenset[str] = frozenset()  # columns the library sets to the time of every save, a restore's too


_SUBQUERY = ("--strategy", "subquery", "--no-user")
_DUMP_ONLY = dict.fromkeys(("sqlite", "mariadb"),
                           "the library wrote a PostgreSQL dump (JSONB columns; Flask-SQLAlchemy / SQLAlchemy 1.3 "
                           "pins in tests/fixtures/generate): its story exists on PostgreSQL only")

CASES: tuple[ConventionCase, ...] = (
    ConventionCase(
        name="history-meta", convention="history-meta", backends=BACKENDS,
        build=lambda url, _: history_meta_story(url), read=readers.history_meta,
        restore=Restore("appuser", "1", 1),
        drift=Drift(("ALTER TABLE appuser ADD COLUMN nickname VARCHAR(40)",),
                    ("missing-column", "error", "appuser_history", "nickname")),
        checked=frozenset({("appuser", "appuser_history", "history-meta"),
                           ("employee", "employee_history", "history-meta")}),
        # single-table subclass columns: appended to employee_history, never written there (conventions.md 2A)
        unrecorded=frozenset({"primary_language", "budget"}),
    ),
    ConventionCase(
        name="versioned-rows", convention="versioned-rows", backends=BACKENDS,
        build=lambda url, _: versioned_rows_story(url), read=readers.versioned_rows,
        restore=Restore("price", "1", 1),
        no_times="versioned_rows_w_versionid has no time column: only the order of versions is known",
        drift=Drift(("CREATE UNIQUE INDEX ix_price_sku_amount ON price (sku, amount)",),
                    ("unique", "error", "price", None)),
        checked=frozenset({("price", "price", "versioned-rows")}),  # versions in the table itself
    ),
    ConventionCase(
        name="continuum", convention="continuum", backends=BACKENDS,
        build=None, read=readers.continuum(),
        restore=Restore("article", "2", 0),  # across a delete and a re-insert of the key
        drift=Drift(("ALTER TABLE article_tag ADD COLUMN note VARCHAR(40)",),
                    ("missing-column", "warning", "article_tag_version", "note")),
        checked=frozenset({("article", "article_version", "continuum"), ("tag", "tag_version", "continuum"),
                           ("article_tag", "article_tag_version", "continuum"),
                           ("tag", "tag", "soft-delete")}),  # what `chrono tables` shows: tag's archive column
        relation_columns=frozenset({"tag", "article"}),  # article_tag members, shown on both sides
        unrecorded=frozenset({"views"}),  # __versioned__ = {"exclude": ["views"]}
    ),
    ConventionCase(
        name="continuum-subquery", convention="continuum", backends=BACKENDS,
        build=None, read=readers.continuum(*_SUBQUERY),
        restore=Restore("article", "1", 2, op="insert"),  # deleted at the end of the story: re-created
        drift=Drift(("CREATE UNIQUE INDEX uq_tag_version_name ON tag_version (name)",),
                    ("unique", "error", "tag_version", "name")),
        checked=frozenset({("article", "article_version", "continuum"), ("tag", "tag_version", "continuum"),
                           ("article_tag", "article_tag_version", "continuum"),
                           ("tag", "tag", "soft-delete")}),  # what `chrono tables` shows: tag's archive column
        relation_columns=frozenset({"tag", "article"}),
        unrecorded=frozenset({"views"}),
    ),
    ConventionCase(
        name="continuum-native", convention="continuum", backends=("postgresql",),
        not_on=dict.fromkeys(("sqlite", "mariadb"), "native_versioning uses PostgreSQL triggers (and hstore)"),
        build=None, read=readers.continuum("--native"),
        restore=Restore("article", "2", 0),
        drift=Drift(("ALTER TABLE article DISABLE TRIGGER article_trigger",), ("trigger", "error", "article", None)),
        checked=frozenset({("article", "article_version", "continuum"), ("tag", "tag_version", "continuum"),
                           ("article_tag", "article_tag_version", "continuum"),
                           ("tag", "tag", "soft-delete")}),  # what `chrono tables` shows: tag's archive column
        relation_columns=frozenset({"tag", "article"}),
        unrecorded=frozenset({"views"}),
    ),
    ConventionCase(
        name="simple-history", convention="simple-history", backends=BACKENDS,
        build=None, read=readers.simple_history,
        restore=Restore("custom_choice_table", "1", 0),
        drift=Drift(("ALTER TABLE djangoapp_poll ADD COLUMN rank INTEGER",),
                    ("missing-column", "warning", "djangoapp_historicalpoll", "rank")),
        checked=frozenset({("djangoapp_poll", "djangoapp_historicalpoll", "simple-history"),
                           ("custom_choice_table", "djangoapp_historicalchoice", "simple-history"),
                           ("custom_choice_table", "custom_choice_table", "soft-delete")}),
        # excluded_fields=["secret"] leaves no trace in the schema: the app declares it, chrono must be told
        config='[tables.djangoapp_poll]\nexcluded = ["secret"]\n',
        relation_columns=frozenset({"tags"}),  # HistoricalRecords(m2m_fields=[tags])
        bypassed=frozenset({("djangoapp_poll", "1")}),  # a queryset update(): no historical record
        unrecorded=frozenset({"secret"}),
    ),
    ConventionCase(
        name="chrononaut", convention="chrononaut", backends=("postgresql",), not_on=_DUMP_ONLY,
        build=dump_readers.load("chrononaut_02"), read=dump_readers.chrononaut_02,
        restore=Restore("appuser", "1", 1),
        drift=Drift(("ALTER TABLE appuser_history DROP COLUMN change_info",),
                    ("missing-meta-column", "error", "appuser_history", "change_info")),
        checked=frozenset({("appuser", "appuser_history", "chrononaut"), ("note", "note_audit", "chrononaut")}),
        config='[tables.appuser]\nhidden = ["password"]\nuntracked = ["last_seen"]\n',  # __chrononaut_*__
        unrecorded=frozenset({"password", "last_seen"}),
    ),
    ConventionCase(
        name="chrononaut-activity", convention="chrononaut-activity", backends=("postgresql",), not_on=_DUMP_ONLY,
        build=dump_readers.load("chrononaut_04"), read=dump_readers.chrononaut_04,
        restore=Restore("appuser", "1", 4),
        drift=Drift(("ALTER TABLE chrononaut_activity DROP COLUMN extra_info",),
                    ("missing-meta-column", "error", "chrononaut_activity", "extra_info")),
        checked=frozenset({("appuser", "chrononaut_activity", "chrononaut-activity"),
                           ("chrononaut_activity", None, "chrononaut-activity")}),  # the shared log itself
        unrecorded=frozenset({"password", "last_seen"}),
    ),
    ConventionCase(
        name="potion", convention="potion", backends=("postgresql",), not_on=_DUMP_ONLY,
        build=dump_readers.load("potion"), read=dump_readers.potion,
        restore=Restore("article", "1", 4),
        drift=Drift(("ALTER TABLE history_record DROP COLUMN changes",),
                    ("missing-meta-column", "error", "history_record", "changes")),
        checked=frozenset({("article", "history_record", "potion"),
                           ("history_record", None, "potion"),  # the shared log itself
                           ("article", "article", "soft-delete")}),  # Potion's ArchivingResource column
    ),
    ConventionCase(
        name="paper-trail", convention="paper-trail", backends=BACKENDS,  # MariaDB: the JSON serializer
        build=lambda url, _: paper_trail.story(url), read=readers.paper_trail,
        restore=Restore("app_users", "1", 1),
        drift=Drift(("ALTER TABLE versions DROP COLUMN whodunnit",),
                    ("missing-meta-column", "warning", "versions", "whodunnit")),
        checked=frozenset({("app_users", "versions", "paper-trail"), ("posts", "versions", "paper-trail"),
                           ("stock_items", "json_versions", "paper-trail"),
                           ("versions", None, "paper-trail"), ("json_versions", None, "paper-trail")}),
        unrecorded=frozenset({"secret"}),  # has_paper_trail skip: [:secret]
        stamped=frozenset({"updated_at"}),  # ActiveRecord's timestamps: reify.save! writes now there
    ),
)
