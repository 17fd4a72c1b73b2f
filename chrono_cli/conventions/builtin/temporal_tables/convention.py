"""temporal_tables' ``versioning()`` trigger (C extension or nearform's pure-SQL function): ``sys_period``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chrono_cli.conventions.builtin.temporal_tables import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.temporal_tables.adapter import TemporalTablesAdapter

if TYPE_CHECKING:
    from chrono_cli.conventions.shapes.bulk import BulkWriter

ADAPTER = TemporalTablesAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
                                 writer="chrono_cli.conventions.builtin.temporal_tables.write:TemporalTablesWriter",
                                 check="chrono_cli.conventions.builtin.temporal_tables.check:CHECK")


def bulk() -> BulkWriter:
    """The set-based restore, made on first use (its modules are not imported by reads)."""
    from chrono_cli.conventions.builtin.temporal_tables.write import TemporalTablesWriter
    from chrono_cli.conventions.shapes.period_bulk import PeriodBulk

    return PeriodBulk(TemporalTablesWriter())
