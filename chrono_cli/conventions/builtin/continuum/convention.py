"""SQLAlchemy-Continuum 2.x (and SQLAlchemy-History): ``<table>_version`` + ``transaction``, new states."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chrono_cli.conventions.builtin.continuum import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.continuum.adapter import ContinuumAdapter

if TYPE_CHECKING:
    from chrono_cli.conventions.shapes.bulk import BulkWriter

ADAPTER = ContinuumAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, check=ADAPTER.check,
                                 writer="chrono_cli.conventions.builtin.continuum.write:ContinuumWriter")


def bulk() -> BulkWriter:
    """The set-based restore, made on first use (its modules are not imported by reads)."""
    from chrono_cli.conventions.builtin.continuum.bulk import ContinuumBulk

    return ContinuumBulk()
