"""Chrononaut 0.3-0.4: one ``chrononaut_activity`` table of JSON snapshots (the state after each change)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chrono_cli.conventions.builtin.chrononaut_activity import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.chrononaut_activity.adapter import ChrononautActivityAdapter

if TYPE_CHECKING:
    from chrono_cli.conventions.shapes.bulk import BulkWriter

ADAPTER = ChrononautActivityAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, check=ADAPTER.check,
                                 writer="chrono_cli.conventions.builtin.chrononaut_activity.write:ChrononautActivityWriter")


def bulk() -> BulkWriter:
    """The set-based restore, made on first use (its modules are not imported by reads)."""
    from chrono_cli.conventions.builtin.chrononaut_activity.bulk import ChrononautActivityBulk

    return ChrononautActivityBulk()
