"""The PostgreSQL ``periods`` extension (SQL:2016 system versioning): ``<table>_history`` kept by its triggers."""

from __future__ import annotations

from chrono_cli.conventions.builtin.periods import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.periods.adapter import PeriodsAdapter
from chrono_cli.conventions.builtin.periods.check import CHECK
from chrono_cli.conventions.builtin.periods.write import PeriodsWriter
from chrono_cli.conventions.shapes.period_bulk import PeriodBulk

ADAPTER = PeriodsAdapter()
WRITER = PeriodsWriter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, writer=WRITER,
                                 bulk=PeriodBulk(WRITER), check=CHECK)
