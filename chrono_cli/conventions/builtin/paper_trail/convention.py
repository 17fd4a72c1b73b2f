"""Rails PaperTrail (12.x): the ``versions`` table of one or many models, YAML or JSON documents."""

from __future__ import annotations

from chrono_cli.conventions.builtin.paper_trail import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.paper_trail.adapter import PaperTrailAdapter
from chrono_cli.conventions.builtin.paper_trail.bulk import PaperTrailBulk
from chrono_cli.conventions.builtin.paper_trail.write import PaperTrailWriter

ADAPTER = PaperTrailAdapter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, writer=PaperTrailWriter(),
                                 bulk=PaperTrailBulk(), check=ADAPTER.check)
