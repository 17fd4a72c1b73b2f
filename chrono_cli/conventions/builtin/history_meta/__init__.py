"""SQLAlchemy examples/versioned_history (history_meta.py): ``<table>_history`` holding old states."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Traits
from chrono_cli.conventions.history_meta import HistoryMetaAdapter
from chrono_cli.conventions.writes.bulk_oldstate import HistoryMetaBulk
from chrono_cli.conventions.writes.history_meta import HistoryMetaWriter

ADAPTER = HistoryMetaAdapter()
CONVENTION = Convention(
    check=ADAPTER.check,
    name=ADAPTER.name, title=ADAPTER.title, shape="old-state", detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
    writer=HistoryMetaWriter(), bulk=HistoryMetaBulk(), traits=Traits(records_inserts=False),
    after=("chrononaut",))
