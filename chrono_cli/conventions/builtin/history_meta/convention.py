"""SQLAlchemy examples/versioned_history (history_meta.py): ``<table>_history`` holding old states."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chrono_cli.conventions.builtin.history_meta import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.history_meta.adapter import HistoryMetaAdapter

if TYPE_CHECKING:
    from chrono_cli.conventions.shapes.bulk import BulkWriter

ADAPTER = HistoryMetaAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
                                 check="chrono_cli.conventions.builtin.history_meta.check:CHECK",
                                 writer="chrono_cli.conventions.builtin.history_meta.write:HistoryMetaWriter")


def bulk() -> BulkWriter:
    """The set-based restore, made on first use (its modules are not imported by reads)."""
    from chrono_cli.conventions.builtin.history_meta.bulk import HistoryMetaBulk

    return HistoryMetaBulk()
