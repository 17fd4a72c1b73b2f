"""check-migrations for postgresql-audit: the log's own columns, and an audit trigger missing or disabled on a
table whose history has rows (its next changes would leave no activity, silently)."""

from __future__ import annotations

from sqlalchemy import types as sqltypes
from sqlalchemy.dialects.postgresql import JSONB

from chrono_cli.conventions.builtin.postgresql_audit.store import (
    ACTIVITY,
    FUNCTION,
    AuditOptions,
    audit_triggers,
    is_activity,
)
from chrono_cli.conventions.checkspec import CheckSpec, MetaColumn, StoreKind, Subject
from chrono_cli.conventions.remedy import CallTableFunction, Remedy
from chrono_cli.conventions.shapes.trigger_log_write import trigger_comparator


def _audit_table(subject: Subject) -> Remedy | None:
    """``SELECT audit_table('t')``: the library's own call, which (re)creates the table's triggers."""
    assert subject.base is not None
    schema = subject.options.function_schema if isinstance(subject.options, AuditOptions) else None
    return CallTableFunction(subject.base.ref, "audit_table", schema)


CHECK = CheckSpec(
    StoreKind.SHARED, comparators=(trigger_comparator(audit_triggers, FUNCTION, _audit_table),),
    store_meta=(MetaColumn("id", sqltypes.BigInteger(), nullable=False),
                MetaColumn("schema_name", sqltypes.Text()),
                MetaColumn("table_name", sqltypes.Text(), exact=True),
                MetaColumn("relid", sqltypes.Integer()),
                MetaColumn("issued_at", sqltypes.DateTime(), timezone_matters=False),
                MetaColumn("verb", sqltypes.Text(), exact=True),
                MetaColumn("old_data", JSONB()),
                MetaColumn("changed_data", JSONB()),
                MetaColumn("transaction_id", sqltypes.BigInteger())),
    lone_store=lambda t: t.ref.name == ACTIVITY and is_activity(t))
