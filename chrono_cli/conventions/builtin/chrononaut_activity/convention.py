"""Chrononaut 0.3-0.4: one ``chrononaut_activity`` table of JSON snapshots (the state after each change)."""

from __future__ import annotations

from chrono_cli.conventions.builtin.chrononaut_activity import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.chrononaut_activity.adapter import ChrononautActivityAdapter

ADAPTER = ChrononautActivityAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, check=ADAPTER.check,
                                 writer="chrono_cli.conventions.builtin.chrononaut_activity.write:ChrononautActivityWriter")
