"""SQLAlchemy-Continuum 2.x (and SQLAlchemy-History): ``<table>_version`` + ``transaction``, new states."""

from __future__ import annotations

from chrono_cli.conventions.builtin.continuum import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.continuum.adapter import ContinuumAdapter
from chrono_cli.conventions.builtin.continuum.bulk import ContinuumBulk
from chrono_cli.conventions.builtin.continuum.write import ContinuumWriter

ADAPTER = ContinuumAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, writer=ContinuumWriter(),
                                 bulk=ContinuumBulk(), check=ADAPTER.check)
