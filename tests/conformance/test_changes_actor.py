"""``changes --actor`` on histories the libraries wrote, on every backend: the listing of one actor is the whole
listing's sets of that actor, the same ids and the same changes.

simple-history and PaperTrail leave other actors' changes out in SQL (by user id, or by name where the database
lowers text the way chrono does); an inferred set ends where another actor's change comes between, so chrono
reads each narrowed set's span again, whole. These stories write every change within a few seconds, with the
actors taking turns (alice twice in PaperTrail's), so at the default window of 5 seconds a set that chained
across the others' changes would show here as one set where the whole listing has several.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from tests.conformance.conftest import StoryClone
from tests.conformance.test_conformance import PARAMS as CONFORMANCE
from tests.conformance.test_conformance import _built
from tests.conformance.test_pickaxe import ALL, _chrono

NARROWED = ("simple-history", "paper-trail")  # the listers that filter by actor in SQL
PARAMS = [p for p in CONFORMANCE if p.values[0].name in (*NARROWED, "chrononaut", "pghistory")]


def _listing(runner: CliRunner, url: str, *args: str) -> list[dict[str, Any]]:
    doc = json.loads(_chrono(runner, url, "-f", "json", "changes", "-n", ALL, *args).stdout)
    assert doc["next_before"] is None
    sets: list[dict[str, Any]] = doc["changesets"]
    return sets


def _user_id(url: str, username: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            query = text("SELECT id FROM auth_user WHERE username = :u")
            found: int = conn.execute(query, {"u": username}).scalar_one()
            return found
    finally:
        engine.dispose()


def _spellings(actor: str) -> list[str]:
    return list(dict.fromkeys([actor, actor.upper(), actor.swapcase()]))


@pytest.mark.parametrize(("case", "backend"), PARAMS)
def test_one_actors_listing_is_the_whole_listing_filtered(
    case: Any, backend: str, story_clone: StoryClone, runner: CliRunner
) -> None:
    url, _ = story_clone(backend, case.name, _built(case))
    whole = _listing(runner, url)
    actors = sorted({c["actor"] for s in whole for c in s["changes"] if c["actor"]})
    assert actors, "the story has no attributed changes"
    if case.name in NARROWED:  # some actor has several sets: the actors took turns
        assert len([s for s in whole if not s["exact"] and s["actor"]]) > len(actors)
    for actor in actors:
        expected = [s for s in whole if any((c["actor"] or "").lower() == actor.lower() for c in s["changes"])]
        for spelled in _spellings(actor):
            assert _listing(runner, url, "--actor", spelled) == expected, (actor, spelled)
        if case.name == "simple-history":  # history_user_id: the user's id names them too
            assert _listing(runner, url, "--actor", str(_user_id(url, actor))) == expected, actor
        first = json.loads(_chrono(runner, url, "-f", "json", "changes", "--actor", actor, "-n", "1").stdout)
        assert first["changesets"] == expected[:len(first["changesets"])] and first["changesets"]
