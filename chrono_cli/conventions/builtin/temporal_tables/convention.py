"""temporal_tables' ``versioning()`` trigger (C extension or nearform's pure-SQL function): ``sys_period``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chrono_cli.conventions.builtin.temporal_tables import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.temporal_tables.adapter import TemporalTablesAdapter
from chrono_cli.conventions.builtin.temporal_tables.check import CHECK
from chrono_cli.conventions.builtin.temporal_tables.write import TemporalTablesWriter

if TYPE_CHECKING:
    from chrono_cli.conventions.shapes.bulk import BulkWriter

ADAPTER = TemporalTablesAdapter()
WRITER = TemporalTablesWriter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, writer=WRITER, check=CHECK)


def bulk() -> BulkWriter:
    """The set-based restore, made on first use (its modules are not imported by reads)."""
    from chrono_cli.conventions.shapes.period_bulk import PeriodBulk

    return PeriodBulk(WRITER)
