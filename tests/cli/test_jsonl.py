"""Every -f jsonl line about a record names its table and key, whichever command printed it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import invoke

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(tmp_path: Path) -> str:
    copy = tmp_path / "demo.sqlite"
    shutil.copy(ROOT / "examples" / "demo.sqlite", copy)
    return str(copy)


def jsonl(runner: CliRunner, demo: str, *args: str) -> list[dict[str, Any]]:
    result = invoke(runner, ["--db", demo, "-f", "jsonl", *args])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_every_record_line_names_its_table_and_key(runner: CliRunner, demo: str) -> None:
    newest = jsonl(runner, demo, "changes", "users", "-n", "1")
    assert newest and all(line["table"] == "users" and isinstance(line["key"], dict) for line in newest)
    changeset = newest[0]["changeset"]
    for args in (["history", "users", "42"], ["blame", "users", "42"], ["show", "users", "42"],
                 ["diff", "users", "42"], ["deleted", "users"], ["archived", "users"],
                 ["changes", "show", changeset], ["archive", "users", "42", "13", "--dry-run"]):
        lines = jsonl(runner, demo, *args)
        assert lines, args
        for line in lines:
            assert line["table"] == "users" and isinstance(line["key"], dict), (args, line)
    assert [line["key"] for line in jsonl(runner, demo, "history", "users", "42")] == [{"id": 42}] * 10
    assert [(line["key"], line["action"]) for line in jsonl(runner, demo, "archive", "users", "42", "13",
                                                            "--dry-run")] == [({"id": 42}, "archive"),
                                                                              ({"id": 13}, "skip")]
    written = jsonl(runner, demo, "archive", "users", "42", "13", "--yes")  # the outcome of a write too
    assert [(line["table"], line["key"], line["action"]) for line in written] == [
        ("users", {"id": 42}, "archive"), ("users", {"id": 13}, "skip")]
