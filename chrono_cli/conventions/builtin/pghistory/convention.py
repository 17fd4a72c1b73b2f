"""django-pghistory: event tables written by PostgreSQL triggers, with ``pghistory_context`` metadata."""

from __future__ import annotations

from chrono_cli.conventions.builtin.pghistory import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.pghistory.adapter import PghistoryAdapter
from chrono_cli.conventions.builtin.pghistory.bulk import PghistoryBulk
from chrono_cli.conventions.builtin.pghistory.write import PghistoryWriter

ADAPTER = PghistoryAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, writer=PghistoryWriter(),
                                 bulk=PghistoryBulk(), check=ADAPTER.check)
