"""The PostgreSQL ``periods`` extension (SQL:2016 system versioning): ``<table>_history`` kept by its triggers."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Traits
from chrono_cli.conventions.builtin.periods.adapter import PeriodsAdapter
from chrono_cli.conventions.builtin.periods.check import CHECK
from chrono_cli.conventions.builtin.periods.write import PeriodsWriter
from chrono_cli.conventions.shapes.period_bulk import PeriodBulk

ADAPTER = PeriodsAdapter()
WRITER = PeriodsWriter()
CONVENTION = Convention(
    name=ADAPTER.name, title=ADAPTER.title, shape="period", detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
    writer=WRITER, bulk=PeriodBulk(WRITER), check=CHECK,
    traits=Traits(records_inserts=True, records_deletes=True),
    facts=("periods", "triggers"))
