"""Moved to ``chrono_cli.conventions.shapes.bulk``; re-exported for older imports."""

from __future__ import annotations

from chrono_cli.conventions.shapes.bulk import (
    ABSENT,
    BATCH,
    CHUNK,
    STAGE,
    BulkWriter,
    insert_live,
    joined,
    locked_rows,
    stage,
    staging,
    update_live,
)

__all__ = ["ABSENT", "BATCH", "CHUNK", "STAGE", "BulkWriter", "insert_live", "joined", "locked_rows", "stage",
           "staging", "update_live"]
