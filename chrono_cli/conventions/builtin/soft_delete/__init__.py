"""Archive columns (``is_archived``, ``deleted_at``, ...): a row is hidden, not removed."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Traits
from chrono_cli.conventions.soft_delete import SoftDeleteAdapter
from chrono_cli.conventions.writes.soft_delete import SoftDeleteWriter

ADAPTER = SoftDeleteAdapter()
CONVENTION = Convention(
    check=ADAPTER.check,
    name=ADAPTER.name, title=ADAPTER.title, shape="archive", detector=ADAPTER, reader=ADAPTER,
    writer=SoftDeleteWriter(),
    traits=Traits(records_inserts=False, records_deletes=False, archive=True), after=("*",))
