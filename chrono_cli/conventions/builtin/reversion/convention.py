"""django-reversion: ``reversion_version`` + ``reversion_revision`` (Django-serialized states after each save)."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Traits
from chrono_cli.conventions.builtin.reversion.adapter import ReversionAdapter
from chrono_cli.conventions.builtin.reversion.bulk import ReversionBulk
from chrono_cli.conventions.builtin.reversion.write import ReversionWriter

ADAPTER = ReversionAdapter()
CONVENTION = Convention(
    check=ADAPTER.check,
    name=ADAPTER.name, title=ADAPTER.title, shape="json-snapshot", detector=ADAPTER, reader=ADAPTER,
    lister=ADAPTER, writer=ReversionWriter(), bulk=ReversionBulk(),
    traits=Traits(records_deletes=False, records_actor=True, exact_changesets=True))
