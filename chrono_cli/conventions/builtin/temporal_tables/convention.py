"""temporal_tables' ``versioning()`` trigger (C extension or nearform's pure-SQL function): ``sys_period``."""

from __future__ import annotations

from chrono_cli.conventions.builtin.temporal_tables import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.temporal_tables.adapter import TemporalTablesAdapter
from chrono_cli.conventions.builtin.temporal_tables.check import CHECK
from chrono_cli.conventions.builtin.temporal_tables.write import TemporalTablesWriter
from chrono_cli.conventions.shapes.period_bulk import PeriodBulk

ADAPTER = TemporalTablesAdapter()
WRITER = TemporalTablesWriter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, writer=WRITER,
                                 bulk=PeriodBulk(WRITER), check=CHECK)
