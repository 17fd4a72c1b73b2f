"""The PostgreSQL ``periods`` extension (SQL:2016 system versioning): ``<table>_history`` kept by its triggers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chrono_cli.conventions.builtin.periods import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.periods.adapter import PeriodsAdapter

if TYPE_CHECKING:
    from chrono_cli.conventions.shapes.bulk import BulkWriter

ADAPTER = PeriodsAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
                                 writer="chrono_cli.conventions.builtin.periods.write:PeriodsWriter",
                                 check="chrono_cli.conventions.builtin.periods.check:CHECK")


def bulk() -> BulkWriter:
    """The set-based restore, made on first use (its modules are not imported by reads)."""
    from chrono_cli.conventions.builtin.periods.write import PeriodsWriter
    from chrono_cli.conventions.shapes.period_bulk import PeriodBulk

    return PeriodBulk(PeriodsWriter())
