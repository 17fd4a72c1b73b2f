"""SQLAlchemy-Continuum 2.x (and SQLAlchemy-History): ``<table>_version`` + ``transaction``, new states."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Traits
from chrono_cli.conventions.builtin.continuum.adapter import ContinuumAdapter
from chrono_cli.conventions.builtin.continuum.bulk import ContinuumBulk
from chrono_cli.conventions.builtin.continuum.write import ContinuumWriter

ADAPTER = ContinuumAdapter()
CONVENTION = Convention(
    check=ADAPTER.check,
    name=ADAPTER.name, title=ADAPTER.title, shape="new-state", detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
    writer=ContinuumWriter(), bulk=ContinuumBulk(),
    traits=Traits(records_actor=True, exact_changesets=True),
    facts=("triggers",))  # native versioning: the triggers that write the version rows
