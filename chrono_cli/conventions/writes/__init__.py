"""Write-set builders: the contract (``Writer``) and what every writer shares; each convention brings its own."""

from __future__ import annotations

from chrono_cli.conventions.writes.base import (
    ArchiveWriter,
    Step,
    WriteContext,
    WriteMeta,
    Writer,
    WriteSet,
    WriteState,
)

__all__ = ["ArchiveWriter", "Step", "WriteContext", "WriteMeta", "WriteSet", "WriteState", "Writer"]
