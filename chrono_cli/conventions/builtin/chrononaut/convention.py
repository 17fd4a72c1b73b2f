"""Chrononaut 0.1-0.2: ``<table>_history`` holding the state before each change, with ``change_info``."""

from __future__ import annotations

from chrono_cli.conventions.builtin.chrononaut import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.chrononaut.adapter import ChrononautAdapter
from chrono_cli.conventions.builtin.chrononaut.bulk import ChrononautBulk
from chrono_cli.conventions.builtin.chrononaut.write import ChrononautWriter

ADAPTER = ChrononautAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, writer=ChrononautWriter(),
                                 bulk=ChrononautBulk(), check=ADAPTER.check)
