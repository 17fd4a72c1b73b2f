"""Write-set builders, one per convention, registered by adapter name."""

from __future__ import annotations

from chrono_cli.conventions.writes.base import Step, WriteContext, WriteMeta, Writer, WriteSet
from chrono_cli.conventions.writes.chrononaut import ChrononautWriter
from chrono_cli.conventions.writes.chrononaut_activity import ChrononautActivityWriter
from chrono_cli.conventions.writes.continuum import ContinuumWriter
from chrono_cli.conventions.writes.history_meta import HistoryMetaWriter
from chrono_cli.conventions.writes.potion import PotionWriter
from chrono_cli.conventions.writes.simple_history import SimpleHistoryWriter
from chrono_cli.conventions.writes.soft_delete import SoftDeleteWriter
from chrono_cli.conventions.writes.versioned_rows import VersionedRowsWriter
from chrono_cli.errors import UnsupportedOperation

WRITERS: dict[str, Writer] = {w.name: w for w in (
    ChrononautWriter(),
    HistoryMetaWriter(),
    ChrononautActivityWriter(),
    PotionWriter(),
    VersionedRowsWriter(),
    SoftDeleteWriter(),
    ContinuumWriter(),
    SimpleHistoryWriter(),
)}

__all__ = ["WRITERS", "Step", "WriteContext", "WriteMeta", "WriteSet", "Writer", "get"]


def get(adapter: str) -> Writer:
    """The writer for a convention adapter's name."""
    # --- declared layouts (chrono.toml [tables.X] layout): writers by shape name ---
    from chrono_cli.conventions.shapes.in_table import InTableWriter
    from chrono_cli.conventions.shapes.write import WRITERS as DECLARED

    if adapter in DECLARED:
        return DECLARED[adapter]
    if adapter == InTableWriter.name:
        return InTableWriter()
    # ---
    try:
        return WRITERS[adapter]
    except KeyError:
        raise UnsupportedOperation(f"chrono cannot write for the {adapter} convention",
                                   hint=f"writable: {', '.join(WRITERS)}") from None
