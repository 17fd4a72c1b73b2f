"""Rails PaperTrail (12.x): the ``versions`` table of one or many models, YAML or JSON documents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chrono_cli.conventions.builtin.paper_trail import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.paper_trail.adapter import PaperTrailAdapter

if TYPE_CHECKING:
    from chrono_cli.conventions.shapes.bulk import BulkWriter

ADAPTER = PaperTrailAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, check=ADAPTER.check,
                                 writer="chrono_cli.conventions.builtin.paper_trail.write:PaperTrailWriter")


def bulk() -> BulkWriter:
    """The set-based restore, made on first use (its modules are not imported by reads)."""
    from chrono_cli.conventions.builtin.paper_trail.bulk import PaperTrailBulk

    return PaperTrailBulk()
