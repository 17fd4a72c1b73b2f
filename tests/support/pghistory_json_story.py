"""The django-pghistory story (tests/support/pghistory_story.py) with the context denormalized into each event
(``PGHISTORY_CONTEXT_FIELD = ContextJSONField()``: a ``pgh_context`` JSON column on the event tables, no
``pghistory_context`` rows), written and read back by the library the same way::

    python -m tests.support.pghistory_json_story URL OUT.json [--build] [--save TABLE KEY]
"""

from __future__ import annotations

from typing import Any

from tests.support import pghistory_story
from tests.support.django_shop import main


def setup(url: str, create: bool) -> dict[str, Any]:
    return pghistory_story.setup(url, create, context_json=True)


if __name__ == "__main__":
    main(setup, pghistory_story.build, pghistory_story.read)
