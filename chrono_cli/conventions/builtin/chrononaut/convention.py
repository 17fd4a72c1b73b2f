"""Chrononaut 0.1-0.2: ``<table>_history`` holding the state before each change, with ``change_info``."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Traits
from chrono_cli.conventions.builtin.chrononaut.adapter import ChrononautAdapter
from chrono_cli.conventions.builtin.chrononaut.bulk import ChrononautBulk
from chrono_cli.conventions.builtin.chrononaut.write import ChrononautWriter

ADAPTER = ChrononautAdapter()
CONVENTION = Convention(
    check=ADAPTER.check,
    name=ADAPTER.name, title=ADAPTER.title, shape="old-state", detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
    writer=ChrononautWriter(), bulk=ChrononautBulk(), traits=Traits(records_inserts=False, records_actor=True),
    after=("simple-history",))
