"""Archive columns (``is_archived``, ``deleted_at``, ...): a row is hidden, not removed."""

from __future__ import annotations

from chrono_cli.conventions.builtin.soft_delete import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.soft_delete.adapter import SoftDeleteAdapter
from chrono_cli.conventions.builtin.soft_delete.write import SoftDeleteWriter

ADAPTER = SoftDeleteAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, writer=SoftDeleteWriter(), check=ADAPTER.check)
