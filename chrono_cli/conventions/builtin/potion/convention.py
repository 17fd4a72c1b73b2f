"""Flask-Potion's HistoryMixin recipe: ``history_record`` of ``[{attribute, old, new}]`` diffs."""

from __future__ import annotations

from chrono_cli.conventions.builtin.potion import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.potion.adapter import PotionAdapter

ADAPTER = PotionAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
                                 check="chrono_cli.conventions.builtin.potion.check:CHECK",
                                 writer="chrono_cli.conventions.builtin.potion.write:PotionWriter")
