"""One ``ConventionCase`` per history convention that has a library story: what the conformance suite runs.

Adding a convention = a story that lets the real library write a history (tests/support/), a reader that
reads it back through the library (readers.py), and one case here. test_conformance.py does the rest on
every backend the case lists: chrono's timeline equals the library's reading, a restore reads back through
the library with the pre-restore state kept, the library's next ordinary save works and chrono reads it,
check-migrations passes the pristine database and reports the case's drift.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tests.conformance import dump_readers, readers
from tests.support import audit_log_moves, audit_logs, paper_trail
from tests.support.mariadb_versioning_story import mariadb_versioning_story
from tests.support.period_stories import periods_story, temporal_tables_story
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
        name="reversion", convention="reversion", backends=("sqlite", "postgresql"),
        not_on={"mariadb": "the Django stories run on SQLite and PostgreSQL (issue 13)"},
        build=None, read=readers.reversion,
        restore=Restore("shop_item", "1", 1),  # the state of the "reprice" revision
        drift=Drift(("ALTER TABLE reversion_version DROP COLUMN object_repr",),
                    ("missing-meta-column", "error", "reversion_version", "object_repr")),
        checked=frozenset({("shop_item", "reversion_version", "reversion"),
                           ("shop_maker", "reversion_version", "reversion"),
                           ("custom_part", "reversion_version", "reversion"),  # found by its versions' fields
                           ("shop_crate", "reversion_version", "reversion"),  # follow=["bottles", "stickers"]
                           ("shop_sticker", "reversion_version", "reversion"),
                           ("shop_bottle", "reversion_version", "reversion"),  # follow=["crate"]
                           ("reversion_version", None, "reversion")}),  # the shared store itself
        unrecorded=frozenset({"internal"}),  # reversion.register(Item, exclude=["internal"])
    ),
    ConventionCase(
        name="auditlog", convention="auditlog", backends=("sqlite", "postgresql"),
        not_on={"mariadb": "the Django stories run on SQLite and PostgreSQL (issue 13)"},
        build=None, read=readers.auditlog,
        restore=Restore("shop_item", "1", 0),  # the created state: three fields and the foreign key back
        drift=Drift(("ALTER TABLE auditlog_logentry DROP COLUMN object_repr",),
                    ("missing-meta-column", "error", "auditlog_logentry", "object_repr")),
        checked=frozenset({("shop_item", "auditlog_logentry", "auditlog"),
                           ("shop_maker", "auditlog_logentry", "auditlog"),
                           ("custom_part", "auditlog_logentry", "auditlog"),  # found by its entries' fields
                           ("auditlog_logentry", None, "auditlog")}),  # the shared log itself
        unrecorded=frozenset({"internal", "secret"}),  # exclude_fields=["internal"], mask_fields=["secret"]
    ),
    ConventionCase(
        name="pghistory", convention="pghistory", backends=("postgresql",),
        not_on={"sqlite": "pghistory records with PostgreSQL triggers: on SQLite pgtrigger cannot install them "
                          "(its install needs a psycopg connection) and nothing is recorded",
                "mariadb": "pghistory records with PostgreSQL triggers only"},
        build=None, read=readers.pghistory,
        restore=Restore("pgshop_item", "1", 1),  # the "reprice" event
        drift=Drift(("ALTER TABLE pgshop_item ADD COLUMN rank INTEGER",),
                    ("missing-column", "warning", "pgshop_itemevent", "rank")),
        checked=frozenset({("pgshop_item", "pgshop_itemevent", "pghistory"),
                           ("custom_pgpart", "pgshop_partevent", "pghistory")}),
        # exclude=["internal"] leaves only an absent column: the app declares it, chrono must be told
        config='[tables.pgshop_item]\nexcluded = ["internal"]\n',
        unrecorded=frozenset({"internal"}),  # pghistory.track(..., exclude=["internal"])
    ),
)

# MariaDB system versioning: the server is the implementation (tests/support/mariadb_versioning_story.py) and its
# own FOR SYSTEM_TIME ALL is the reading; `visits` is WITHOUT SYSTEM VERSIONING, declared so in chrono.toml
CASES += (
    ConventionCase(
        name="mariadb-versioning", convention="mariadb-versioning", backends=("mariadb",),
        not_on=dict.fromkeys(("sqlite", "postgresql"), "WITH SYSTEM VERSIONING is a MariaDB server feature"),
        build=lambda url, _: mariadb_versioning_story(url), read=readers.mariadb_versioning,
        restore=Restore("appuser", "2", 0),  # across a delete and a re-create of the key
        drift=Drift(("SET @@system_versioning_alter_history = KEEP",
                     "ALTER TABLE appuser MODIFY name VARCHAR(40) NOT NULL WITHOUT SYSTEM VERSIONING"),
                    ("missing-column", "warning", "appuser", "name")),
        checked=frozenset({("appuser", "appuser", "mariadb-versioning"), ("memo", "memo", "mariadb-versioning"),
                           ("ledger", "ledger", "mariadb-versioning")}),
        config='[tables.appuser]\nexcluded = ["visits"]\n',
        unrecorded=frozenset({"visits"}),
    ),
)

# PostgreSQL period conventions (tests/support/period_stories.py)
CASES += (
    ConventionCase(
        name="periods", convention="periods", backends=("postgresql",),
        not_on=dict.fromkeys(("sqlite", "mariadb"), "the periods extension is a PostgreSQL extension"),
        build=lambda url, _: periods_story(url), read=readers.periods,
        restore=Restore("contract", "2", 0),  # across a delete and a re-insert of the key
        drift=Drift(("ALTER TABLE contract ADD COLUMN nickname text",),  # allowed while versioning is on
                    ("missing-column", "error", "contract_history", "nickname")),
        checked=frozenset({("contract", "contract_history", "periods"), ("memo", "memo_history", "periods")}),
        unrecorded=frozenset({"visits"}),  # add_system_time_period(excluded_column_names => ARRAY['visits'])
    ),
    ConventionCase(
        name="temporal-tables", convention="temporal-tables", backends=("postgresql",),
        not_on=dict.fromkeys(("sqlite", "mariadb"), "temporal_tables is a PostgreSQL trigger (tstzrange)"),
        # the suite's own versioning() function (tests/support/period_stories.py): no implementation installable
        build=lambda url, _: temporal_tables_story(url), read=readers.temporal_tables,
        restore=Restore("contract", "2", 0),
        drift=Drift(("ALTER TABLE contract DISABLE TRIGGER versioning_trigger",),
                    ("trigger", "error", "contract", None)),
        checked=frozenset({("contract", "contract_history", "temporal-tables"),
                           ("memo", "memo_history", "temporal-tables")}),
        config='[tables.contract]\nunrecorded = ["visits"]\n',  # left out of contract_history on purpose
        unrecorded=frozenset({"visits"}),
    ),
)

# Trigger-written audit logs (tests/support/postgresql_audit_story.py, tests/support/audit_logs.py)
CASES += (
    ConventionCase(
        name="postgresql-audit", convention="postgresql-audit", backends=("postgresql",),
        not_on=dict.fromkeys(("sqlite", "mariadb"), "postgresql-audit's triggers and JSONB log are PostgreSQL-only "
                                                      "(xid8: PostgreSQL 13+)"),
        build=None, read=readers.postgresql_audit,
        restore=Restore("article", "1", 0),  # across two updates of one transaction and one without an actor
        drift=Drift(("ALTER TABLE article DISABLE TRIGGER audit_trigger_update",),
                    ("trigger", "error", "article", None)),
        checked=frozenset({("article", "activity", "postgresql-audit"), ("tag", "activity", "postgresql-audit"),
                           ("activity", None, "postgresql-audit")}),  # the shared log itself
        unrecorded=frozenset({"views"}),  # __versioned__ = {"exclude": ["views"]}
    ),
    ConventionCase(
        name="supa-audit", convention="supa-audit", backends=("postgresql",),
        not_on=dict.fromkeys(("sqlite", "mariadb"), "supa_audit is PL/pgSQL triggers and JSONB: PostgreSQL only"),
        # no implementation is installable here: the story runs the suite's own trigger (tests/support/audit_logs.py)
        build=lambda url, _: audit_logs.build(url, "supa"), read=readers.audit_log("supa"),
        restore=Restore("article", "1", 0),
        drift=Drift(("ALTER TABLE article DISABLE TRIGGER audit_i_u_d",), ("trigger", "error", "article", None)),
        checked=frozenset({("article", "record_version", "supa-audit"), ("tag", "record_version", "supa-audit"),
                           ("record_version", None, "supa-audit")}),  # the shared log itself
    ),
    ConventionCase(
        name="audit-trigger", convention="audit-trigger", backends=("postgresql",),
        not_on=dict.fromkeys(("sqlite", "mariadb"), "the audit trigger is PL/pgSQL and hstore: PostgreSQL only"),
        # no implementation is installable here: the story runs the suite's own trigger (tests/support/audit_logs.py)
        build=lambda url, _: audit_logs.build(url, "audit-trigger"), read=readers.audit_log("audit-trigger"),
        restore=Restore("article", "1", 0),
        drift=Drift(("ALTER TABLE article DISABLE TRIGGER audit_trigger_row",), ("trigger", "error", "article", None)),
        checked=frozenset({("article", "logged_actions", "audit-trigger"), ("tag", "logged_actions", "audit-trigger"),
                           ("logged_actions", None, "audit-trigger")}),  # the shared log itself
        unrecorded=frozenset({"views"}),  # audit_table('article', true, true, '{views}')
    ),
)

# Rails PaperTrail (tests/support/paper_trail.py drives Debian's Ruby)
CASES += (
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

# django-reversion and django-auditlog on MariaDB too (Django's MySQL backend through PyMySQL standing in for
# mysqlclient, which does not build here: tests/support/simple_history_story.py _database)
CASES = tuple(replace(c, backends=BACKENDS, not_on={}) if c.name in ("reversion", "auditlog") else c
              for c in CASES)

# django-reversion with its versions in Django's xml and yaml serializer formats (reversion.register(format=...)),
# and django-pghistory with the context denormalized into each event (PGHISTORY_CONTEXT_FIELD = ContextJSONField())
_REVERSION = next(c for c in CASES if c.name == "reversion")
_PGHISTORY = next(c for c in CASES if c.name == "pghistory")
CASES += tuple(
    ConventionCase(
        name=f"reversion-{fmt}", convention="reversion", backends=_REVERSION.backends, not_on=_REVERSION.not_on,
        build=None, read=readers.reversion_format(fmt), restore=_REVERSION.restore, drift=_REVERSION.drift,
        checked=_REVERSION.checked, unrecorded=_REVERSION.unrecorded,
    )
    for fmt in ("xml", "yaml")
) + (
    ConventionCase(
        name="pghistory-json-context", convention="pghistory", backends=_PGHISTORY.backends, not_on=_PGHISTORY.not_on,
        build=None, read=readers.pghistory_json, restore=_PGHISTORY.restore, drift=_PGHISTORY.drift,
        checked=_PGHISTORY.checked, config=_PGHISTORY.config, unrecorded=_PGHISTORY.unrecorded,
    ),
)

# Bulk restore to a time (``restore TABLE --at T --all-changed-since T``) for database-native and trigger-log
# conventions: case name -> the table test_conformance restores, then reads back through the library.
BULK: Mapping[str, str] = {"mariadb-versioning": "appuser", "periods": "contract", "temporal-tables": "contract",
                           "postgresql-audit": "article", "supa-audit": "article", "audit-trigger": "article"}

# The two hand-installed audit triggers across a primary-key change and a logged TRUNCATE
# (tests/support/audit_log_moves.py: the documented reading follows the key chain and the TRUNCATE rows)
def _moves(convention: str, kind: str, trigger: str, log: str, not_on: str,
           unrecorded: frozenset[str] = frozenset()) -> ConventionCase:
    return ConventionCase(
        name=f"{convention}-moves", convention=convention, backends=("postgresql",),
        not_on=dict.fromkeys(("sqlite", "mariadb"), not_on),
        build=lambda url, _: audit_log_moves.build(url, kind),
        read=lambda url, _workdir, save=None: audit_log_moves.read(url, kind, save),
        restore=Restore("article", "2", 2),  # its state before the TRUNCATE, over the row inserted after it
        drift=Drift((f"ALTER TABLE tag DISABLE TRIGGER {trigger}",), ("trigger", "error", "tag", None)),
        checked=frozenset({("article", log, convention), ("tag", log, convention), (log, None, convention)}),
        unrecorded=unrecorded)


CASES += (
    _moves("supa-audit", "supa", "audit_i_u_d", "record_version",
           "supa_audit is PL/pgSQL triggers and JSONB: PostgreSQL only"),
    _moves("audit-trigger", "audit-trigger", "audit_trigger_row", "logged_actions",
           "the audit trigger is PL/pgSQL and hstore: PostgreSQL only",
           frozenset({"views"})),  # audit_table('article', true, true, '{views}')
)
