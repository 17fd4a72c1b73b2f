"""django-simple-history: ``<app>_historical<model>``, the state after each change with ``+ ~ -``."""

from __future__ import annotations

from chrono_cli.conventions.builtin.simple_history import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.simple_history.adapter import SimpleHistoryAdapter
from chrono_cli.conventions.builtin.simple_history.bulk import SimpleHistoryBulk
from chrono_cli.conventions.builtin.simple_history.write import SimpleHistoryWriter

ADAPTER = SimpleHistoryAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, writer=SimpleHistoryWriter(),
                                 bulk=SimpleHistoryBulk(), check=ADAPTER.check)
