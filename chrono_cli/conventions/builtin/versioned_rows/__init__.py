"""SQLAlchemy's versioned_rows examples: every version is a row ``(id, version_id)`` of the table itself."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention
from chrono_cli.conventions.versioned_rows import VersionedRowsAdapter
from chrono_cli.conventions.writes.versioned_rows import VersionedRowsWriter

ADAPTER = VersionedRowsAdapter()
CONVENTION = Convention(
    check=ADAPTER.check,
    name=ADAPTER.name, title=ADAPTER.title, shape="in-table", detector=ADAPTER, reader=ADAPTER,
    writer=VersionedRowsWriter(), after=("potion",))
