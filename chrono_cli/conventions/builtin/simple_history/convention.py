"""django-simple-history: ``<app>_historical<model>``, the state after each change with ``+ ~ -``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chrono_cli.conventions.builtin.simple_history import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.simple_history.adapter import SimpleHistoryAdapter

if TYPE_CHECKING:
    from chrono_cli.conventions.shapes.bulk import BulkWriter

ADAPTER = SimpleHistoryAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, check=ADAPTER.check,
                                 writer="chrono_cli.conventions.builtin.simple_history.write:SimpleHistoryWriter")


def bulk() -> BulkWriter:
    """The set-based restore, made on first use (its modules are not imported by reads)."""
    from chrono_cli.conventions.builtin.simple_history.bulk import SimpleHistoryBulk

    return SimpleHistoryBulk()
