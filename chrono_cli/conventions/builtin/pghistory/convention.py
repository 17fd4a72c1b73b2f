"""django-pghistory: event tables written by PostgreSQL triggers, with ``pghistory_context`` metadata."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chrono_cli.conventions.builtin.pghistory import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.pghistory.adapter import PghistoryAdapter

if TYPE_CHECKING:
    from chrono_cli.conventions.shapes.bulk import BulkWriter

ADAPTER = PghistoryAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, check=ADAPTER.check,
                                 writer="chrono_cli.conventions.builtin.pghistory.write:PghistoryWriter")


def bulk() -> BulkWriter:
    """The set-based restore, made on first use (its modules are not imported by reads)."""
    from chrono_cli.conventions.builtin.pghistory.bulk import PghistoryBulk

    return PghistoryBulk()
