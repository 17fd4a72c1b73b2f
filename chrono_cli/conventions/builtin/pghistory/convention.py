"""django-pghistory: event tables written by PostgreSQL triggers, with ``pghistory_context`` metadata."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Traits
from chrono_cli.conventions.builtin.pghistory.adapter import PghistoryAdapter
from chrono_cli.conventions.builtin.pghistory.bulk import PghistoryBulk
from chrono_cli.conventions.builtin.pghistory.write import PghistoryWriter

ADAPTER = PghistoryAdapter()
CONVENTION = Convention(
    check=ADAPTER.check,
    name=ADAPTER.name, title=ADAPTER.title, shape="new-state", detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
    writer=PghistoryWriter(), bulk=PghistoryBulk(), traits=Traits(records_actor=True), facts=("triggers",))
