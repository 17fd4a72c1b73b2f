"""Differential fuzzing of SQLAlchemy's history_meta and versioned_rows examples against chrono.

Hypothesis runs random operation sequences (see strategies.py) through the real example code, then chrono's
``history -f json`` of every key must equal the library's own reading, and a restore to a random earlier version
must read back through the library, followed by the library's next ordinary write.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from tests.fuzz.check import compare_all, restore_and_write
from tests.fuzz.sa_libraries import HistoryMeta, VersionedRows
from tests.fuzz.strategies import KEYS, column_values, examples, stories, text


def _dialect(url: str) -> str:
    return make_url(url).get_backend_name()


@pytest.fixture
def history_meta(db_url: str) -> Iterator[HistoryMeta]:
    lib = HistoryMeta(db_url)
    yield lib
    lib.close()


@pytest.fixture
def versioned_rows(db_url: str) -> Iterator[VersionedRows]:
    lib = VersionedRows(db_url)
    yield lib
    lib.close()


def _run(runner: CliRunner, url: str, lib: Any, story: list[Any], seed: int) -> None:
    lib.reset()
    for step in story:
        lib.apply(step)
    readings = compare_all(runner, url, lib, KEYS)
    restore_and_write(runner, url, lib, readings, random.Random(seed))


@examples(4)
@given(data=st.data())
def test_history_meta_fuzz(runner: CliRunner, db_url: str, history_meta: HistoryMeta, data: st.DataObject) -> None:
    # The STI value classes found here have their own tests: test_value_classes.test_history_meta_sti_*.
    story = data.draw(stories(column_values(_dialect(db_url)), classes=("thing", "special"),
                              extra={"extra": text(30)}), label="story")
    _run(runner, db_url, history_meta, story, data.draw(st.integers(0, 2**16), label="seed"))


@examples(3)
@given(data=st.data())
def test_versioned_rows_fuzz(runner: CliRunner, db_url: str, versioned_rows: VersionedRows,
                             data: st.DataObject) -> None:
    story = data.draw(stories(column_values(_dialect(db_url))), label="story")
    _run(runner, db_url, versioned_rows, story, data.draw(st.integers(0, 2**16), label="seed"))
