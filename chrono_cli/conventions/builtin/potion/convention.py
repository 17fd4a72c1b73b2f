"""Flask-Potion's HistoryMixin recipe: ``history_record`` of ``[{attribute, old, new}]`` diffs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chrono_cli.conventions.builtin.potion import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.potion.adapter import PotionAdapter

if TYPE_CHECKING:
    from chrono_cli.conventions.shapes.bulk import BulkWriter

ADAPTER = PotionAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
                                 check="chrono_cli.conventions.builtin.potion.check:CHECK",
                                 writer="chrono_cli.conventions.builtin.potion.write:PotionWriter")


def bulk() -> BulkWriter:
    """The set-based restore, made on first use (its modules are not imported by reads)."""
    from chrono_cli.conventions.builtin.potion.bulk import PotionBulk

    return PotionBulk()
