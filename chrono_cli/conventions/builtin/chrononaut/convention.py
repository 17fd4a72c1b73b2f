"""Chrononaut 0.1-0.2: ``<table>_history`` holding the state before each change, with ``change_info``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chrono_cli.conventions.builtin.chrononaut import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.chrononaut.adapter import ChrononautAdapter

if TYPE_CHECKING:
    from chrono_cli.conventions.shapes.bulk import BulkWriter

ADAPTER = ChrononautAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
                                 check="chrono_cli.conventions.builtin.chrononaut.check:CHECK",
                                 writer="chrono_cli.conventions.builtin.chrononaut.write:ChrononautWriter")


def bulk() -> BulkWriter:
    """The set-based restore, made on first use (its modules are not imported by reads)."""
    from chrono_cli.conventions.builtin.chrononaut.bulk import ChrononautBulk

    return ChrononautBulk()
