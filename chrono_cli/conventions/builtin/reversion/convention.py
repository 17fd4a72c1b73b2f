"""django-reversion: ``reversion_version`` + ``reversion_revision`` (Django-serialized states after each save)."""

from __future__ import annotations

from chrono_cli.conventions.builtin.reversion import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.reversion.adapter import ReversionAdapter
from chrono_cli.conventions.builtin.reversion.bulk import ReversionBulk
from chrono_cli.conventions.builtin.reversion.write import ReversionWriter

ADAPTER = ReversionAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, writer=ReversionWriter(),
                                 bulk=ReversionBulk(), check=ADAPTER.check)
