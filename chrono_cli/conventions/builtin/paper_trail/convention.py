"""Rails PaperTrail (12.x): the ``versions`` table of one or many models, YAML or JSON documents."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Traits
from chrono_cli.conventions.builtin.paper_trail.adapter import PaperTrailAdapter
from chrono_cli.conventions.builtin.paper_trail.bulk import PaperTrailBulk
from chrono_cli.conventions.builtin.paper_trail.write import PaperTrailWriter

ADAPTER = PaperTrailAdapter()
CONVENTION = Convention(
    name=ADAPTER.name, title=ADAPTER.title, shape="json-snapshot", detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
    check=ADAPTER.check, writer=PaperTrailWriter(), bulk=PaperTrailBulk(), traits=Traits(records_actor=True))
