"""django-simple-history: ``<app>_historical<model>``, the state after each change with ``+ ~ -``."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Traits
from chrono_cli.conventions.builtin.simple_history.adapter import SimpleHistoryAdapter
from chrono_cli.conventions.builtin.simple_history.bulk import SimpleHistoryBulk
from chrono_cli.conventions.builtin.simple_history.write import SimpleHistoryWriter

ADAPTER = SimpleHistoryAdapter()
CONVENTION = Convention(
    check=ADAPTER.check,
    name=ADAPTER.name, title=ADAPTER.title, shape="new-state", detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
    writer=SimpleHistoryWriter(), bulk=SimpleHistoryBulk(), traits=Traits(records_actor=True),
    after=("continuum",))
