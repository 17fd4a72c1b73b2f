"""django-auditlog: ``auditlog_logentry`` string differences ``{field: [old, new]}`` per save or delete."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Traits
from chrono_cli.conventions.builtin.auditlog.adapter import AuditlogAdapter
from chrono_cli.conventions.builtin.auditlog.bulk import AuditlogBulk
from chrono_cli.conventions.builtin.auditlog.write import AuditlogWriter

ADAPTER = AuditlogAdapter()
CONVENTION = Convention(
    check=ADAPTER.check,
    name=ADAPTER.name, title=ADAPTER.title, shape="json-diff", detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
    writer=AuditlogWriter(), bulk=AuditlogBulk(), traits=Traits(records_actor=True))
