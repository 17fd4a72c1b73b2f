"""Declared conventions on real schemas: asking a convention only about a schema holding one of its signature's
tables finds everything asking its detector about every schema finds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from chrono_cli.config import Config
from chrono_cli.conventions.registry import builtins
from chrono_cli.db.reflect import SchemaSnapshot
from chrono_cli.services.workspace import Catalog
from tests.integration.restore_support import load_fixture
from tests.support.stories import history_meta_story, versioned_rows_story

ROOT = Path(__file__).resolve().parents[2]


def _asked_and_all(snapshot: SchemaSnapshot) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    asked, everyone = [], []
    for conv in builtins():
        asked += [(d.adapter, str(d.live), str(d.store)) for d in conv.detect(snapshot)]
        everyone += [(d.adapter, str(d.live), str(d.store)) for d in conv.detector.detect(snapshot)]
    return asked, everyone


def _check(url: str) -> list[tuple[str, str, str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            snapshot = Catalog(conn, Config()).full_snapshot()
    finally:
        engine.dispose()
    asked, everyone = _asked_and_all(snapshot)
    assert asked == everyone
    return asked


def test_signatures_lose_no_detection_on_sqlite(tmp_path: Path) -> None:
    demo = tmp_path / "demo.sqlite"
    shutil.copy(ROOT / "examples" / "demo.sqlite", demo)
    found = _check(f"sqlite:///{demo}")
    assert {a for a, _, _ in found} >= {"history-meta", "potion", "versioned-rows", "soft-delete"}
    history_meta_story(f"sqlite:///{tmp_path / 'hm.sqlite'}")
    assert {a for a, _, _ in _check(f"sqlite:///{tmp_path / 'hm.sqlite'}")} == {"history-meta"}
    versioned_rows_story(f"sqlite:///{tmp_path / 'vr.sqlite'}")
    assert {a for a, _, _ in _check(f"sqlite:///{tmp_path / 'vr.sqlite'}")} == {"versioned-rows"}


@pytest.mark.parametrize(("fixture", "convention"), [("chrononaut_02", "chrononaut"),
                                                     ("chrononaut_04", "chrononaut-activity"),
                                                     ("potion", "potion")])
def test_signatures_lose_no_detection_on_library_dumps(pg_url: str, fixture: str, convention: str) -> None:
    load_fixture(pg_url, fixture)
    assert convention in {a for a, _, _ in _check(pg_url)}
