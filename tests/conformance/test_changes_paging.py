"""``changes`` page by page through the cursor it prints, on histories the libraries wrote, on every backend.

Paging one change set at a time must show exactly the sets of the whole listing, once each: MariaDB keeps
times to the second and these stories write many changes within one, so ties on time are the rule here, and
Continuum's cursor carries its transaction id (``TIME#TX``).
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
from tests.conformance.test_pickaxe import ALL, _chrono, _rows, _sets, _tables
from tests.conftest import invoke

PAGED = ("history-meta", "continuum", "simple-history", "paper-trail")
PARAMS = [p for p in CONFORMANCE if p.values[0].name in PAGED]  # the suite's own ids and xdist groups


def _pages(runner: CliRunner, url: str, table: str, size: int, bound: int) -> tuple[list[dict[str, Any]], list[str]]:
    sets: list[dict[str, Any]] = []
    cursors: list[str] = []
    before: list[str] = []
    for _ in range(bound):
        doc = json.loads(
            _chrono(runner, url, "-f", "json", "changes", table, "-n", str(size), "--window", "0", *before).stdout
        )
        assert doc["changesets"] or doc["next_before"] is None
        sets += doc["changesets"]
        if doc["next_before"] is None:
            return sets, cursors
        cursors.append(doc["next_before"])
        before = ["--before", doc["next_before"]]
    raise AssertionError(f"more than {bound} pages")


@pytest.mark.parametrize(("case", "backend"), PARAMS)
def test_pages_through_the_cursor_show_every_change_set_once(
    case: Any, backend: str, story_clone: StoryClone, runner: CliRunner
) -> None:
    url, _ = story_clone(backend, case.name, _built(case))
    for table in _tables(runner, url, case.name):
        whole = _sets(runner, url, table)
        for size in (1, 3):
            pages, cursors = _pages(runner, url, table, size, len(whole) + 2)
            assert _rows(pages) == _rows(whole), (table, size)
            assert len(cursors) == len(set(cursors)), cursors  # each page moves on
            if case.convention == "continuum":  # exact sets page by transaction id
                assert all("#" in c for c in cursors) and [s["id"] for s in pages] == [s["id"] for s in whole]


@pytest.mark.parametrize(("case", "backend"), [p for p in PARAMS if p.values[0].name == "continuum"][:1])
def test_a_cursor_that_names_no_transaction_is_refused(
    case: Any, backend: str, story_clone: StoryClone, runner: CliRunner
) -> None:
    url, _ = story_clone(backend, case.name, _built(case))
    for bad in ("2026-01-01T00:00:00+00:00#99999999999999999999", "not a time#12"):
        result = invoke(runner, ["--db", url, "changes", "article", "--before", bad, "-n", ALL])
        assert result.exit_code == 2 and result.stdout == "" and result.stderr.startswith("error: "), result.output


@pytest.mark.parametrize(
    ("case", "backend"), [p for p in PARAMS if p.values[0].name == "simple-history" and p.values[1] == "postgresql"]
)
def test_a_store_without_an_index_on_its_time_says_so(
    case: Any, backend: str, story_clone: StoryClone, runner: CliRunner
) -> None:
    url, _ = story_clone(backend, case.name, _built(case))
    table = _tables(runner, url, case.name)[0]
    history = json.loads(_chrono(runner, url, "-f", "json", "tables").stdout)
    store = next(t["history"][0] for t in history["tables"] if t["table"] == table)
    assert "no index on history_date" not in _chrono(runner, url, "changes", table).stderr
    engine = create_engine(url)
    with engine.begin() as conn:  # what a migration that dropped the index leaves
        for (name,) in conn.execute(
            text("SELECT indexname FROM pg_indexes WHERE tablename = :t AND indexdef LIKE '%(history_date)'"),
            {"t": store.rsplit(".", 1)[-1]},
        ):
            conn.execute(text(f'DROP INDEX "{name}"'))  # a name the catalog gave
    engine.dispose()
    said = _chrono(runner, url, "changes", table).stderr
    assert "has no index on history_date" in said and "CREATE INDEX ON" in said, said
