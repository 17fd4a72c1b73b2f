"""django-auditlog: ``auditlog_logentry`` string differences ``{field: [old, new]}`` per save or delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chrono_cli.conventions.builtin.auditlog import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.auditlog.adapter import AuditlogAdapter

if TYPE_CHECKING:
    from chrono_cli.conventions.shapes.bulk import BulkWriter

ADAPTER = AuditlogAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, check=ADAPTER.check,
                                 writer="chrono_cli.conventions.builtin.auditlog.write:AuditlogWriter")


def bulk() -> BulkWriter:
    """The set-based restore, made on first use (its modules are not imported by reads)."""
    from chrono_cli.conventions.builtin.auditlog.bulk import AuditlogBulk

    return AuditlogBulk()
