"""django-reversion: ``reversion_version`` + ``reversion_revision`` (Django-serialized states after each save)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chrono_cli.conventions.builtin.reversion import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.reversion.adapter import ReversionAdapter

if TYPE_CHECKING:
    from chrono_cli.conventions.shapes.bulk import BulkWriter

ADAPTER = ReversionAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, check=ADAPTER.check,
                                 writer="chrono_cli.conventions.builtin.reversion.write:ReversionWriter")


def bulk() -> BulkWriter:
    """The set-based restore, made on first use (its modules are not imported by reads)."""
    from chrono_cli.conventions.builtin.reversion.bulk import ReversionBulk

    return ReversionBulk()
