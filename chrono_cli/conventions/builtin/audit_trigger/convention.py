"""The 2ndQuadrant audit trigger: ``audit.logged_actions`` (hstore row_data / changed_fields), row triggers."""

from __future__ import annotations

from chrono_cli.conventions.builtin.audit_trigger import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.audit_trigger.adapter import (
    AuditTriggerAdapter,
    AuditTriggerBulk,
    AuditTriggerWriter,
)

ADAPTER = AuditTriggerAdapter()
WRITER = AuditTriggerWriter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, writer=WRITER,
                                 bulk=AuditTriggerBulk(WRITER, ADAPTER), check=ADAPTER.check)
