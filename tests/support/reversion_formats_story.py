"""The django-reversion story (tests/support/reversion_story.py) with its versions serialized in Django's xml or
yaml format (``reversion.register(..., format=...)``), written and read back by the library the same way::

    python -m tests.support.reversion_formats_story URL OUT.json --format xml|yaml [--build] [--save TABLE KEY]
"""

from __future__ import annotations

import sys
from typing import Any

from tests.support import reversion_story
from tests.support.django_shop import main


def _format() -> str:
    """``--format NAME`` taken out of the command line (the shared ``main`` parses the rest)."""
    at = sys.argv.index("--format")
    name = sys.argv[at + 1]
    del sys.argv[at : at + 2]
    return name


def setup(url: str, create: bool) -> dict[str, Any]:
    return reversion_story.setup(url, create, FORMAT)


if __name__ == "__main__":
    FORMAT = _format()
    main(setup, reversion_story.build, reversion_story.read, reversion_story._save_in_revision)
