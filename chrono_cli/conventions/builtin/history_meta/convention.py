"""SQLAlchemy examples/versioned_history (history_meta.py): ``<table>_history`` holding old states."""

from __future__ import annotations

from chrono_cli.conventions.builtin.history_meta import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.history_meta.adapter import HistoryMetaAdapter
from chrono_cli.conventions.builtin.history_meta.write import HistoryMetaWriter
from chrono_cli.conventions.shapes.old_state_bulk import OldStateBulk

ADAPTER = HistoryMetaAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, writer=HistoryMetaWriter(),
                                 bulk=OldStateBulk(), check=ADAPTER.check)
