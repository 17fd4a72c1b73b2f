"""postgresql-audit (PyPI): ``activity`` rows of old_data / changed_data JSONB written by triggers, grouped by
the database transaction (``transaction`` carries the actor)."""

from __future__ import annotations

from chrono_cli.conventions.builtin.postgresql_audit import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.postgresql_audit.adapter import PostgresqlAuditAdapter
from chrono_cli.conventions.builtin.postgresql_audit.bulk import PostgresqlAuditBulk
from chrono_cli.conventions.builtin.postgresql_audit.write import PostgresqlAuditWriter

ADAPTER = PostgresqlAuditAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, writer=PostgresqlAuditWriter(),
                                 bulk=PostgresqlAuditBulk(), check=ADAPTER.check)
