"""postgresql-audit (PyPI): ``activity`` rows of old_data / changed_data JSONB written by triggers, grouped by
the database transaction (``transaction`` carries the actor)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chrono_cli.conventions.builtin.postgresql_audit import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.postgresql_audit.adapter import PostgresqlAuditAdapter

if TYPE_CHECKING:
    from chrono_cli.conventions.shapes.bulk import BulkWriter

ADAPTER = PostgresqlAuditAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, check=ADAPTER.check,
                                 writer="chrono_cli.conventions.builtin.postgresql_audit.write:PostgresqlAuditWriter")


def bulk() -> BulkWriter:
    """The set-based restore, made on first use (its modules are not imported by reads)."""
    from chrono_cli.conventions.builtin.postgresql_audit.bulk import PostgresqlAuditBulk

    return PostgresqlAuditBulk(ADAPTER)
