"""SQLAlchemy-Continuum 2.x (and SQLAlchemy-History): ``<table>_version`` + ``transaction``, new states."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Traits
from chrono_cli.conventions.continuum import ContinuumAdapter
from chrono_cli.conventions.writes.bulk_newstate import ContinuumBulk
from chrono_cli.conventions.writes.continuum import ContinuumWriter

ADAPTER = ContinuumAdapter()
CONVENTION = Convention(
    check=ADAPTER.check,
    name=ADAPTER.name, title=ADAPTER.title, shape="new-state", detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
    writer=ContinuumWriter(), bulk=ContinuumBulk(),
    traits=Traits(records_actor=True, exact_changesets=True),
    facts=("triggers",))  # native versioning: the triggers that write the version rows
