"""Chrononaut 0.3-0.4: one ``chrononaut_activity`` table of JSON snapshots (the state after each change)."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Traits
from chrono_cli.conventions.chrononaut_activity import ChrononautActivityAdapter
from chrono_cli.conventions.writes.chrononaut_activity import ChrononautActivityWriter

ADAPTER = ChrononautActivityAdapter()
CONVENTION = Convention(
    check=ADAPTER.check,
    name=ADAPTER.name, title=ADAPTER.title, shape="json-snapshot", detector=ADAPTER, reader=ADAPTER,
    lister=ADAPTER, writer=ChrononautActivityWriter(), traits=Traits(records_actor=True),
    after=("history-meta",))
