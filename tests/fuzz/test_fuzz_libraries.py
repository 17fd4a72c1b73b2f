"""Differential fuzzing of SQLAlchemy-Continuum (with and without a user class) and django-simple-history.

Each library runs in a worker process (tests/fuzz/worker.py) set up once per test function on its own database;
Hypothesis sends it random operation sequences, then chrono's ``history -f json`` of every key must equal the
library's own reading (Continuum: its version objects; simple-history: ``history`` records), and a restore to a
random earlier version must read back through the library, followed by the library's next ordinary write.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from tests.fuzz.check import compare_all, restore_and_write
from tests.fuzz.remote import Remote
from tests.fuzz.strategies import KEYS, column_values, examples, stories, text
from tests.fuzz.worker import SH_COLUMNS, THING


def _dialect(url: str) -> str:
    return make_url(url).get_backend_name()


@pytest.fixture(params=["continuum", "continuum-nouser"])
def continuum(request: pytest.FixtureRequest, db_url: str) -> Iterator[Remote]:
    lib = Remote(request.param, db_url, "thing", ("id", "kind", "extra", *THING))
    yield lib
    lib.close()


@pytest.fixture
def simple_history(db_url: str) -> Iterator[Remote]:
    lib = Remote("simple-history", db_url, "djangofuzz_thing", SH_COLUMNS)
    yield lib
    lib.close()


def _run(runner: CliRunner, url: str, lib: Remote, story: list, seed: int) -> None:  # type: ignore[type-arg]
    lib.reset()
    for step in story:
        lib.apply(step)
    readings = compare_all(runner, url, lib, KEYS)
    restore_and_write(runner, url, lib, readings, random.Random(seed))


@examples(3)
@given(data=st.data())
def test_continuum_fuzz(runner: CliRunner, db_url: str, continuum: Remote, data: st.DataObject) -> None:
    story = data.draw(stories(column_values(_dialect(db_url)), classes=("thing", "special"),
                              extra={"extra": text(30)}), label="story")
    _run(runner, db_url, continuum, story, data.draw(st.integers(0, 2**16), label="seed"))


@examples(3)
@given(data=st.data())
def test_simple_history_fuzz(runner: CliRunner, db_url: str, simple_history: Remote, data: st.DataObject) -> None:
    sqlite = _dialect(db_url) == "sqlite"
    columns = {**column_values(_dialect(db_url), naive=False),
               "short": text(20 if sqlite else 10),  # SQLite keeps a value longer than VARCHAR(10)
               "_reason": text(30),  # "" included: an empty reason is kept as ""
               "_user": st.sampled_from([None, 1, 2])}
    story = data.draw(stories(columns), label="story")
    _run(runner, db_url, simple_history, story, data.draw(st.integers(0, 2**16), label="seed"))
