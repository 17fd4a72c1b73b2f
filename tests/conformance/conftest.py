"""Fixtures of the conformance suite: ``story_clone`` over the suite-wide one (tests/support/clone.py), whose
builds also get a work folder, and a CliRunner that builds chrono's command once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer.testing
from typer.testing import CliRunner

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


_COMMANDS: dict[int, Any] = {}
_build_command = getattr(typer.testing, "_get_command")  # noqa: B009 - private, not re-exported


def _cached_command(app: Any) -> Any:
    if id(app) not in _COMMANDS:
        _COMMANDS[id(app)] = (app, _build_command(app))  # the app is kept: its id stays its own
    return _COMMANDS[id(app)][1]


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CliRunner that builds chrono's click command once, not on every invoke (~50 ms each, ~300 invokes)."""
    monkeypatch.setattr(typer.testing, "_get_command", _cached_command)
    return CliRunner()
