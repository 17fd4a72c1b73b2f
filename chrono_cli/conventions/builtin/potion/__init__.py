"""Flask-Potion's HistoryMixin recipe: ``history_record`` of ``[{attribute, old, new}]`` diffs."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Traits
from chrono_cli.conventions.potion import PotionAdapter
from chrono_cli.conventions.writes.potion import PotionWriter

ADAPTER = PotionAdapter()
CONVENTION = Convention(
    check=ADAPTER.check,
    name=ADAPTER.name, title=ADAPTER.title, shape="json-diff", detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
    writer=PotionWriter(), traits=Traits(records_inserts=False, records_deletes=False),
    after=("chrononaut-activity",))
