"""django-auditlog: ``auditlog_logentry`` string differences ``{field: [old, new]}`` per save or delete."""

from __future__ import annotations

from chrono_cli.conventions.builtin.auditlog import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.auditlog.adapter import AuditlogAdapter
from chrono_cli.conventions.builtin.auditlog.bulk import AuditlogBulk
from chrono_cli.conventions.builtin.auditlog.write import AuditlogWriter

ADAPTER = AuditlogAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, writer=AuditlogWriter(),
                                 bulk=AuditlogBulk(), check=ADAPTER.check)
