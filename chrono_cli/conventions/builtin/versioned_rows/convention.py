"""SQLAlchemy's versioned_rows examples: every version is a row ``(id, version_id)`` of the table itself."""

from __future__ import annotations

from chrono_cli.conventions.builtin.versioned_rows import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.versioned_rows.adapter import VersionedRowsAdapter

ADAPTER = VersionedRowsAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, check=ADAPTER.check,
                                 writer="chrono_cli.conventions.builtin.versioned_rows.write:VersionedRowsWriter")
