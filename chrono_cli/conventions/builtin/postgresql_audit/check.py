"""check-migrations for postgresql-audit: the log's own columns, and an audit trigger missing or disabled on a
table whose history has rows (its next changes would leave no activity, silently)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import types as sqltypes
from sqlalchemy.dialects.postgresql import JSONB

from chrono_cli.conventions.builtin.postgresql_audit.store import (
    ACTIVITY,
    EVENTS,
    FUNCTION,
    AuditOptions,
    audit_triggers,
    is_activity,
    unaudited,
)
from chrono_cli.conventions.checkspec import CheckContext, CheckSpec, Drift, MetaColumn, StoreKind, Subject
from chrono_cli.conventions.remedy import CallTableFunction, EnableTrigger
from chrono_cli.model import Severity


def audit_trigger(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """Every operation of an audited table needs an enabled trigger calling create_activity()."""
    base = subject.base
    if base is None or subject.store is None or ctx.dialect.name != "postgresql":
        return
    disabled = [t for t in audit_triggers(base) if not t.enabled]
    for t in disabled:
        yield Drift("trigger", Severity.ERROR,
                    f"audit trigger {t.name} on {base.ref.name} is disabled: its {'/'.join(t.events).lower()}s "
                    f"leave no row in {ACTIVITY}", remedy=EnableTrigger(base.ref, t.name), target=base.ref)
    off = {e for t in disabled for e in t.events}
    missing = [e for e in unaudited(base) if e not in off]
    if missing:
        schema = subject.options.function_schema if isinstance(subject.options, AuditOptions) else None
        which = "no audit trigger" if len(missing) == len(EVENTS) else \
            f"no audit trigger for {', '.join(e.lower() for e in missing)}"
        yield Drift("trigger", Severity.ERROR,
                    f"{base.ref.name} has rows in {ACTIVITY} but {which} (calling {FUNCTION}()): its changes are no "
                    "longer audited", remedy=CallTableFunction(base.ref, "audit_table", schema), target=base.ref)


CHECK = CheckSpec(
    StoreKind.SHARED, comparators=(audit_trigger,),
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
