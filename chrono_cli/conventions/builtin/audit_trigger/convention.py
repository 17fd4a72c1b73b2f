"""The 2ndQuadrant audit trigger: ``audit.logged_actions`` (hstore row_data / changed_fields), row triggers."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Traits
from chrono_cli.conventions.builtin.audit_trigger.adapter import (
    AuditTriggerAdapter,
    AuditTriggerBulk,
    AuditTriggerWriter,
)

ADAPTER = AuditTriggerAdapter()
WRITER = AuditTriggerWriter()
CONVENTION = Convention(
    check=ADAPTER.check,
    name=ADAPTER.name, title=ADAPTER.title, shape="json-diff", detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
    writer=WRITER, bulk=AuditTriggerBulk(WRITER),
    traits=Traits(records_actor=True, exact_changesets=True),  # session_user_name; txid_current()
    facts=("triggers",))  # audit_trigger_row: which tables are audited, and whether a write would be recorded
