"""Fixtures of the conformance suite: ``story_clone`` over the suite-wide one (tests/support/clone.py), whose
builds also get a work folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Build = Callable[[str, Path], Any]
StoryClone = Callable[[str, str, Build], tuple[str, Any]]


def pytest_configure(config: pytest.Config) -> None:
    """Name pytest-xdist's group marker, so runs without xdist know it too."""
    config.addinivalue_line("markers", "xdist_group(name): run the tests of one group on one xdist worker")


@pytest.fixture(scope="session")
def story_clone(story_clone: Callable[[str, str, Callable[[str], Any]], tuple[str, Any]],
                tmp_path_factory: pytest.TempPathFactory) -> StoryClone:
    """``story_clone(backend, name, build) -> (url, record)``: a private copy of story ``name`` on ``backend``.

    ``build(url, workdir)`` writes the story into an empty database and returns its record; it runs once per
    run, backend and name (the suite-wide fixture clones it: a template on PostgreSQL, a file copy on SQLite,
    a table-by-table copy on MariaDB).
    """
    def clone(backend: str, name: str, build: Build) -> tuple[str, Any]:
        return story_clone(backend, "conformance_" + name.replace("-", "_"),
                           lambda url: build(url, tmp_path_factory.mktemp("story")))

    return clone
