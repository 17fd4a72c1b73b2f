"""``chrono browse`` reads a timeline newest page first: on histories the libraries wrote, the pages are the
timeline, for every convention that runs on SQLite or PostgreSQL, and the windowed ones on MariaDB too (a store
that cannot read a window is read whole once and cut into pages; one that can must give the same versions,
changes and metadata)."""

from __future__ import annotations

from typing import Any

import pytest

from chrono_cli.config import Config
from chrono_cli.services import read
from chrono_cli.services.history import load_page
from chrono_cli.services.target import open_target
from chrono_cli.services.workspace import Settings, Workspace
from tests.browse.test_timeline_pages import assert_pages_are_the_timeline
from tests.conformance.conftest import StoryClone
from tests.conformance.test_conformance import PARAMS as CONFORMANCE
from tests.conformance.test_conformance import _built

# stores that read a page's window (on MariaDB too)
WINDOWED = ("history-meta", "chrononaut", "simple-history", "continuum", "paper-trail", "pghistory",
            "reversion", "periods", "temporal-tables", "mariadb-versioning", "versioned-rows",
            "chrononaut-activity", "audit-trigger", "supa-audit", "postgresql-audit", "potion", "auditlog")
PARAMS = [p for p in CONFORMANCE if p.values[1] in ("sqlite", "postgresql") or p.values[0].convention in WINDOWED]


@pytest.mark.parametrize(("case", "backend"), PARAMS)
def test_pages_newest_first_are_the_timeline(case: Any, backend: str, story_clone: StoryClone) -> None:
    url, built = story_clone(backend, case.name, _built(case))
    ws = Workspace(Settings(url, (), Config()))
    try:
        windowed = []
        for table, keys in built["reading"]["timelines"].items():
            for key in keys:
                whole = read.history(ws, table, key)
                assert whole.convention == case.convention
                for size in (1, 2, 200):
                    assert_pages_are_the_timeline(ws, table, key, size, whole)
                with ws.catalog() as cat:
                    windowed.append(load_page(cat, open_target(cat, table), key, None, None, 2) is not None)
        # the windowed stores read by window, not whole and cut up (Continuum: records without membership rows,
        # PaperTrail: records without a zone skew)
        assert any(windowed) == (case.convention in WINDOWED), windowed
    finally:
        ws.close()
