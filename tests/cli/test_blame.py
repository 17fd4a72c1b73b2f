"""chrono blame: the version that last set each column, on history_meta and Chrononaut-shaped stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chrono_cli.errors import ExitCode
from chrono_cli.model import Op, TableRef, Timeline, Version
from chrono_cli.model import RowKey as Key
from chrono_cli.records import replace
from chrono_cli.services.blame import blame_timeline
from tests.cli.history_db import build
from tests.conftest import invoke


@pytest.fixture
def items(sqlite_url: str) -> str:
    return build(sqlite_url)


def _blame(runner: CliRunner, url: str, *args: str) -> dict:
    result = invoke(runner, ["--db", url, "-f", "json", "blame", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _by_column(doc: dict) -> dict[str, dict]:
    return {c["column"]: c for c in doc["columns"]}


def test_each_column_is_blamed_on_the_version_that_set_it(runner: CliRunner, sqlite_or_pg_url: str) -> None:
    doc = _blame(runner, build(sqlite_or_pg_url), "item", "1")
    schema = "public." if sqlite_or_pg_url.startswith("postgresql") else ""
    assert {k: doc[k] for k in ("table", "key", "convention", "history")} == {
        "table": f"{schema}item", "key": {"id": 1}, "convention": "history-meta",
        "history": f"{schema}item_history"}
    assert doc["state"]["seq"] == 4 and doc["state"]["current"] is True and doc["deleted"] is None
    cols = _by_column(doc)
    assert list(cols) == ["id", "name", "email", "status"]
    assert [(c["value"], c["seq"], c["version"], c["operation"], c["previous"]) for c in cols.values()] == [
        (1, 1, 1, "insert", None),
        ("widget 2", 4, 4, "update", "widget"),
        ("b@example.com", 3, 3, "update", "a@example.com"),
        ("active", 2, 2, "update", "new"),
    ]
    # history_meta's `changed` closes a version, so the change to #3 happened when #2 was superseded
    assert cols["email"]["at"] == "2026-11-01T11:00:00+00:00"
    assert cols["id"]["at"] is None  # history_meta does not record when a row was inserted
    assert set(cols["name"]) == {"column", "value", "seq", "version", "operation", "at", "actor", "reason",
                                 "previous", "recorded", "note"}


def test_plain_output(runner: CliRunner, items: str) -> None:
    result = invoke(runner, ["--db", items, "blame", "item", "1"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert [line.rstrip() for line in result.stdout.splitlines()] == [
        "item 1 [history-meta: item_history] blame at p4 (version 4) (times in UTC)",
        "column    value          pos    at                   previous",
        "id        1              p1",
        "name      widget 2       p4     2026-11-01 12:00:00  widget",
        "email     b@example.com  p3     2026-11-01 11:00:00  a@example.com",
        "status    active         p2     2026-11-01 10:00:00  new",
    ]


def test_actor_reason_and_a_column_history_did_not_record(runner: CliRunner, sqlite_or_pg_url: str) -> None:
    url = build(sqlite_or_pg_url)
    assert _by_column(_blame(runner, url, "note", "1"))["secret"]["value"] == "redacted"  # named like a secret
    result = invoke(runner, ["--db", url, "--show-secrets", "-f", "json", "blame", "note", "1"])
    cols = _by_column(json.loads(result.stdout))
    assert (cols["title"]["seq"], cols["title"]["actor"], cols["title"]["reason"], cols["title"]["previous"]) == (
        2, "ada", "fix title", "draft")
    # secret is in the live row only: its value is known, who set it is not, and chrono does not guess
    secret = cols["secret"]
    assert secret["value"] == "s3cret" and secret["recorded"] is True
    assert [secret[k] for k in ("seq", "version", "at", "actor", "reason", "previous")] == [None] * 6
    assert secret["note"].startswith("not recorded")
    plain = invoke(runner, ["--db", url, "--show-secrets", "blame", "note", "1"])
    row = next(line for line in plain.stdout.splitlines() if line.startswith("secret"))
    assert row.split() == ["secret", "s3cret", "not", "recorded"]
    assert "note: secret: not recorded: unchanged since p3, but p2 did not record it" in plain.stderr


def test_a_column_declared_hidden_has_no_value(runner: CliRunner, items: str, tmp_path: Path) -> None:
    config = tmp_path / "chrono.toml"
    config.write_text('[tables.item]\nhidden = ["email"]\n')
    result = invoke(runner, ["--db", items, "--config", str(config), "-f", "json", "blame", "item", "1"])
    assert result.exit_code == 0, result.stderr
    email = _by_column(json.loads(result.stdout))["email"]
    assert (email["value"], email["recorded"], email["seq"], email["note"]) == (None, False, None, "not recorded")
    plain = invoke(runner, ["--db", items, "--config", str(config), "blame", "item", "1", "-c", "email"])
    assert plain.stdout.splitlines()[-1].split() == ["email", "(not", "recorded)", "not", "recorded"]


def test_blame_as_of_a_version_or_a_time(runner: CliRunner, items: str) -> None:
    for args in (["--version", "2"], ["-V", "p2"], ["-V", "#2"], ["--at", "2026-11-01T10:30Z"]):
        doc = _blame(runner, items, "item", "1", *args)
        assert doc["state"]["seq"] == 2, args
        cols = _by_column(doc)
        assert (cols["status"]["seq"], cols["email"]["seq"], cols["name"]["seq"]) == (2, 1, 1)


def test_column_option(runner: CliRunner, items: str) -> None:
    for args in (["-c", "status", "--column", "email"], ["--column", "status,email"]):
        assert [c["column"] for c in _blame(runner, items, "item", "1", *args)["columns"]] == ["status", "email"]


def test_deleted_record_is_blamed_as_it_last_was(runner: CliRunner, items: str) -> None:
    doc = _blame(runner, items, "item", "2")
    assert doc["state"]["seq"] == 2 and doc["deleted"]["seq"] == 3 and doc["deleted"]["operation"] == "delete"
    assert _by_column(doc)["status"]["previous"] == "new"
    plain = invoke(runner, ["--db", items, "blame", "item", "2"])
    assert "note: the record was deleted at p3; blaming its last state" in plain.stderr


def test_jsonl_and_csv(runner: CliRunner, items: str) -> None:
    jsonl = invoke(runner, ["--db", items, "-f", "jsonl", "blame", "item", "1"])
    assert [json.loads(line)["column"] for line in jsonl.stdout.splitlines()] == ["id", "name", "email", "status"]
    csv = invoke(runner, ["--db", items, "-f", "csv", "blame", "item", "1", "-c", "name"])
    assert csv.stdout.splitlines() == ["column,value,pos,version,at,actor,reason,previous",
                                       "name,widget 2,p4,4,2026-11-01 12:00:00+00:00,,,widget"]


@pytest.mark.parametrize(("args", "code", "message"), [
    (["item", "9"], ExitCode.NOT_FOUND, "no row with key id=9"),
    (["itme", "1"], ExitCode.NOT_FOUND, "did you mean 'item'?"),
    (["item", "1", "-c", "nope"], ExitCode.USAGE, "no column nope in item"),
    (["item", "1", "-V", "7"], ExitCode.NOT_FOUND, "no version 7"),
    (["item", "1", "-V", "2", "--at", "2026-11-01"], ExitCode.USAGE, "give --version or --at, not both"),
])
def test_bad_input(runner: CliRunner, items: str, args: list[str], code: int, message: str) -> None:
    result = invoke(runner, ["--db", items, "blame", *args])
    assert result.exit_code == code
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.output


def _timeline(*versions: Version) -> Timeline:
    numbered = tuple(replace(v, seq=i) for i, v in enumerate(versions, 1))
    return Timeline(TableRef(None, "t"), Key((("id", 1),)), "test", None, ("id", "a"), numbered)


def test_history_that_starts_mid_life_is_not_blamed_on_its_first_state() -> None:
    tl = _timeline(Version({"id": 1, "a": "x"}, Op.UNKNOWN), Version({"id": 1, "a": "x"}, Op.UPDATE))
    line = blame_timeline(tl, ["a"]).lines[0]
    assert line.version is None and line.value == "x"
    assert line.note == "not recorded: unchanged since the first recorded state p1"


def test_recreated_record_blames_the_new_insert() -> None:
    tl = _timeline(Version({"id": 1, "a": "x"}, Op.INSERT), Version(None, Op.DELETE),
                   Version({"id": 1, "a": "x"}, Op.INSERT), Version({"id": 1, "a": "x"}, Op.UPDATE))
    line = blame_timeline(tl, ["a"]).lines[0]
    assert line.version is not None and line.version.seq == 3 and not line.has_previous
