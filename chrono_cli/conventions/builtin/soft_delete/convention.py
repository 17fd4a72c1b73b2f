"""Archive columns (``is_archived``, ``deleted_at``, ...): a row is hidden, not removed."""

from __future__ import annotations

from chrono_cli.conventions.builtin.soft_delete import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.soft_delete.adapter import SoftDeleteAdapter

ADAPTER = SoftDeleteAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER,
                                 check="chrono_cli.conventions.builtin.soft_delete.check:CHECK",
                                 writer="chrono_cli.conventions.builtin.soft_delete.write:SoftDeleteWriter")
