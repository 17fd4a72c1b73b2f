"""postgresql-audit (PyPI): ``activity`` rows of old_data / changed_data JSONB written by triggers, grouped by
the database transaction (``transaction`` carries the actor)."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Traits
from chrono_cli.conventions.builtin.postgresql_audit.adapter import PostgresqlAuditAdapter
from chrono_cli.conventions.builtin.postgresql_audit.bulk import PostgresqlAuditBulk
from chrono_cli.conventions.builtin.postgresql_audit.write import PostgresqlAuditWriter

ADAPTER = PostgresqlAuditAdapter()
CONVENTION = Convention(
    check=ADAPTER.check,
    name=ADAPTER.name, title=ADAPTER.title, shape="json-diff", detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
    writer=PostgresqlAuditWriter(), bulk=PostgresqlAuditBulk(),
    traits=Traits(records_actor=True, exact_changesets=True),
    after=("continuum",),  # a Continuum schema has a transaction table too (without native_transaction_id)
    facts=("triggers",))  # the audit triggers: which tables are audited, and whether a write would be recorded
