"""The value classes the fuzzing found (issue 11), each proved on data the real library wrote.

Each test writes through the library (django-simple-history in a worker process, history_meta in-process), reads
with chrono, restores, and reads back through the library.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.conftest import invoke
from tests.fuzz.check import chrono_json, compare
from tests.fuzz.remote import Remote
from tests.fuzz.sa_libraries import HistoryMeta
from tests.fuzz.wire import encode
from tests.fuzz.worker import SH_COLUMNS


def _put(key: int, **values: object) -> list[object]:
    return [["put", key, {k: encode(v) for k, v in values.items()}, "thing"]]


@pytest.fixture(scope="module")
def sh_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Remote]]:
    """django-simple-history on one SQLite file for this module; each test resets the tables."""
    url = f"sqlite:///{tmp_path_factory.mktemp('sh') / 'sh.db'}"
    lib = Remote("simple-history", url, "djangofuzz_thing", SH_COLUMNS)
    yield url, lib
    lib.close()


@pytest.fixture
def sh(sh_sqlite: tuple[str, Remote]) -> tuple[str, Remote]:
    sh_sqlite[1].reset()
    return sh_sqlite


def _chrono(runner: CliRunner, url: str, *args: str) -> str:
    result = invoke(runner, ["--db", url, *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_sqlite_decimal_without_scale_prints_as_stored(runner: CliRunner, sh: tuple[str, Remote]) -> None:
    url, lib = sh  # Django declares DecimalField as plain "decimal" on SQLite: the value is kept as a number
    for amount in ("0.00", "3.33", "1234.56", "-0.01"):
        lib.apply(_put(1, amount=Decimal(amount)))
    reading = lib.reading(1)
    shown = chrono_json(runner, url, "history", "djangofuzz_thing", "1")
    compare(lib, 1, reading, shown)
    assert [v["values"]["amount"] for v in shown["versions"]] == ["0", "3.33", "1234.56", "-0.01"]
    for fmt in ("plain", "csv", "markdown", "github", "jsonl", "table"):
        for position, amount in ((1, "0"), (2, "3.33"), (3, "1234.56")):
            out = _chrono(runner, url, "-f", fmt, "show", "djangofuzz_thing", "1", "--version", f"#{position}")
            assert amount in out and "E-" not in out and "0000" not in out and "9999" not in out, (fmt, out)


def test_sqlite_varchar_overflow_does_not_block_a_restore(runner: CliRunner, sh: tuple[str, Remote]) -> None:
    url, lib = sh  # SQLite keeps a 15-character value in VARCHAR(10); Django does not check the length on save
    lib.apply(_put(1, short="y" * 15, label="first"))
    lib.apply(_put(1, label="second"))
    result = invoke(runner, ["--db", url, "restore", "djangofuzz_thing", "1", "--version", "#1", "--yes"])
    assert result.exit_code == 0, result.output
    after = lib.reading(1)
    assert [e["values"]["label"] for e in after] == ["first", "second", "first"]
    assert after[-1]["values"]["short"] == "y" * 15
    lib.ordinary_write(1)
    compare(lib, 1, lib.reading(1), chrono_json(runner, url, "history", "djangofuzz_thing", "1"))


def test_simple_history_empty_reason_is_shown_as_empty(runner: CliRunner, sh: tuple[str, Remote]) -> None:
    url, lib = sh  # shrunk by Hypothesis from test_simple_history_fuzz: [[['put', 1, {'_reason': ''}, 'thing']]]
    lib.apply(_put(1, _reason=""))
    reading = lib.reading(1)
    assert reading[0]["reason"] == ""
    compare(lib, 1, reading, chrono_json(runner, url, "history", "djangofuzz_thing", "1"))


@pytest.fixture
def sh_any(sqlite_or_pg_url: str) -> Iterator[tuple[str, Remote]]:
    lib = Remote("simple-history", sqlite_or_pg_url, "djangofuzz_thing", SH_COLUMNS)
    yield sqlite_or_pg_url, lib
    lib.close()


def test_django_json_field_is_json_on_every_backend(runner: CliRunner, sh_any: tuple[str, Remote]) -> None:
    url, lib = sh_any  # SQLite: text with CHECK (JSON_VALID(...)); PostgreSQL: jsonb
    documents = [{"a": [1, None, {"b": "😀"}]}, [], "text", None, 0]
    for document in documents:
        lib.apply(_put(1, data=document, label=str(document)))
    shown = chrono_json(runner, url, "history", "djangofuzz_thing", "1")
    assert [v["values"]["data"] for v in shown["versions"]] == documents
    compare(lib, 1, lib.reading(1), shown)
    result = invoke(runner, ["--db", url, "restore", "djangofuzz_thing", "1", "--version", "#1", "--yes"])
    assert result.exit_code == 0, result.output
    assert lib.reading(1)[-1]["values"]["data"] == documents[0]


@pytest.fixture
def history_meta_pg(pg_url: str) -> Iterator[tuple[str, HistoryMeta]]:
    lib = HistoryMeta(pg_url)
    yield pg_url, lib
    lib.close()


def test_nan_is_json_adds_no_version_and_restores_on_postgresql(runner: CliRunner,
                                                                 history_meta_pg: tuple[str, HistoryMeta]) -> None:
    url, lib = history_meta_pg
    lib.apply(_put(1, label="before", ratio=1.5))
    lib.apply(_put(1, label="nan", ratio=math.nan))
    lib.apply(_put(1, note="still nan"))
    result = invoke(runner, ["--db", url, "-f", "json", "history", "thing", "1"])
    assert result.exit_code == 0, result.output

    def no_constants(name: str) -> None:
        raise AssertionError(f"{name} is not JSON")

    shown = json.loads(result.stdout, parse_constant=no_constants)
    assert [v["values"]["ratio"] for v in shown["versions"]] == [1.5, {"$float": "NaN"}, {"$float": "NaN"}]
    compare(lib, 1, lib.reading(1), shown)  # three versions: no fake "live row differs" one
    result = invoke(runner, ["--db", url, "restore", "thing", "1", "--version", "#1", "--yes"])
    assert result.exit_code == 0, result.output
    after = lib.reading(1)
    assert after[-1]["values"]["ratio"] == 1.5 and after[-2]["values"]["ratio"] == {"$float": "NaN"}
    lib.ordinary_write(1)
    compare(lib, 1, lib.reading(1), chrono_json(runner, url, "history", "thing", "1"))


@pytest.fixture
def history_meta_any(db_url: str) -> Iterator[tuple[str, HistoryMeta]]:
    lib = HistoryMeta(db_url)
    yield db_url, lib
    lib.close()


def test_mariadb_json_boolean_and_double_read_as_the_library_reads_them(
        runner: CliRunner, history_meta_any: tuple[str, HistoryMeta]) -> None:
    url, lib = history_meta_any  # MariaDB: JSON is LONGTEXT + CHECK json_valid, BOOLEAN is TINYINT(1), DOUBLE
    lib.apply(_put(1, data={"a": [1, None]}, flag=False, ratio=0.0))
    lib.apply(_put(1, data=None, flag=True, ratio=0.1))
    shown = chrono_json(runner, url, "history", "thing", "1")
    assert [(v["values"]["data"], v["values"]["flag"], v["values"]["ratio"]) for v in shown["versions"]] == [
        ({"a": [1, None]}, False, 0.0), (None, True, 0.1)]
    compare(lib, 1, lib.reading(1), shown)
    result = invoke(runner, ["--db", url, "restore", "thing", "1", "--version", "1", "--yes"])
    assert result.exit_code == 0, result.output
    assert lib.reading(1)[-1]["values"] | {"id": 1} == lib.reading(1)[0]["values"] | {"id": 1}


def test_history_meta_sti_columns_are_not_recorded(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sti.db'}"
    lib = HistoryMeta(url)  # shrunk from test_history_meta_fuzz:
    try:                    # [[['put', 1, {'extra': 'x'}, 'special']], [['put', 1, {'label': 'y'}, 'special']]]
        lib.apply([["put", 1, {"extra": "x"}, "special"]])
        lib.apply([["put", 1, {"label": "y"}, "special"]])
        reading = lib.reading(1)
        assert reading[0]["unrecorded"] == ["extra"]
        compare(lib, 1, reading, chrono_json(runner, url, "history", "thing", "1"))
        # and so a restore writes that NULL over the live value (CHRONO_FUZZ_RANDOM=1 found it on SQLite):
        # restoring #1 changes label only; extra has no recorded target and keeps "x"
        result = invoke(runner, ["--db", url, "restore", "thing", "1", "--version", "#1", "--yes"])
        assert result.exit_code == 0, result.output
        assert lib.reading(1)[-1]["values"]["extra"] == "x"
        # the history row chrono wrote leaves extra NULL, as the library writes it (the fuzzing's open case: the
        # live value written there read as a recorded earlier value, which the library never stores)
        with lib.engine.connect() as conn:
            stored = conn.execute(select(lib.m.History.__table__.c.extra).where(
                lib.m.History.__table__.c.id == 1).order_by(lib.m.History.__table__.c.version)).scalars().all()
        assert stored == [None, None]
        lib.apply([["put", 1, {"label": "z"}, "special"]])
        compare(lib, 1, lib.reading(1), chrono_json(runner, url, "history", "thing", "1"))
    finally:
        lib.close()
