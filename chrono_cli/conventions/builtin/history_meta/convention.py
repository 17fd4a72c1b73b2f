"""SQLAlchemy examples/versioned_history (history_meta.py): ``<table>_history`` holding old states."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Traits
from chrono_cli.conventions.builtin.history_meta.adapter import HistoryMetaAdapter
from chrono_cli.conventions.builtin.history_meta.write import HistoryMetaWriter
from chrono_cli.conventions.shapes.old_state_bulk import OldStateBulk

ADAPTER = HistoryMetaAdapter()
CONVENTION = Convention(
    check=ADAPTER.check,
    name=ADAPTER.name, title=ADAPTER.title, shape="old-state", detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
    writer=HistoryMetaWriter(), bulk=OldStateBulk(), traits=Traits(records_inserts=False),
    after=("chrononaut",))
