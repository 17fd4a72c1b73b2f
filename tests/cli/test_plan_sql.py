"""Write plans as ``terraform plan`` reads them (a coloured + ~ - per row, one closing count, secrets redacted) and
``--sql`` on every write command: the statements with their values inlined for the dialect, secrets redacted
unless --show-secrets, and nothing written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cli import history_db
from tests.cli.fine_db import TOKEN1, TOKEN2, build
from tests.cli.test_fine_output import GREEN, RED, on_terminal
from tests.cli.test_terminal import run_piped
from tests.conftest import ROOT, invoke
from tests.integration.restore_support import checksum

YELLOW = "\x1b[33m"


@pytest.fixture
def doc(tmp_path: Path) -> str:
    return build(f"sqlite:///{tmp_path / 'doc.db'}")


@pytest.fixture
def demo(tmp_path: Path) -> list[str]:
    copy = tmp_path / "demo.sqlite"
    shutil.copy(ROOT / "examples" / "demo.sqlite", copy)
    return ["--db", f"sqlite:///{copy}", "--config", str(ROOT / "examples" / "chrono.toml")]


def test_sql_inlines_values_and_redacts_secrets(runner: CliRunner, sqlite_or_pg_url: str) -> None:
    url = build(sqlite_or_pg_url)
    before = checksum(url)
    result = invoke(runner, ["--db", url, "restore", "doc", "1", "--version", "p1", "--sql"])
    assert result.exit_code == 0, result.output
    out = result.stdout.replace("public.", "")
    assert out.startswith("-- restore doc 1 to p1 (version 1) [history-meta: doc_history]\n")
    update = next(s for s in out.split(";\n") if "UPDATE doc SET" in s)
    assert "title='ada'" in update and "api_token='redacted'" in update and "WHERE doc.id = 1" in update
    assert "alert(''x'')" in out  # the hostile value, quoted as the dialect quotes it
    assert TOKEN1 not in out and TOKEN2 not in out
    assert result.stderr.strip() == "--sql: nothing written"
    shown = invoke(runner, ["--db", url, "--show-secrets", "restore", "doc", "1", "--version", "p1", "--sql"])
    assert f"api_token='{TOKEN1}'" in shown.stdout and f"'{TOKEN2}'" in shown.stdout
    assert checksum(url) == before


def test_plan_redacts_secrets_and_counts_rows(doc: str) -> None:
    result = run_piped(["--db", doc, "restore", "doc", "1", "--version", "p1", "--dry-run"])
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("~ restore doc 1 to p1 (version 1) [history-meta: doc_history]\n")
    assert "[-red-]{+brown+}" in out and 'prefs.tags[1]: added → "b"' in out
    assert "api_token" in out and TOKEN1 not in out and TOKEN2 not in out
    assert "SQL: 2 statements in one transaction (--sql prints them)" in out
    assert out.rstrip().splitlines()[-1] == "Plan: 0 to add, 1 to change, 0 to delete."
    assert "\x1b" not in out


@pytest.mark.parametrize("cols", [80, 200])
def test_plan_in_a_terminal(doc: str, cols: int) -> None:
    tokens = (
        "~ restore doc 1 to p1 (version 1)",
        "[-red-]{+brown+}",
        "prefs.tags[1]:",
        "Plan: 0 to add, 1 to change, 0 to delete.",
    )
    out = on_terminal(["--db", doc, "restore", "doc", "1", "--version", "p1", "--dry-run"], cols, tokens)
    assert YELLOW + "~" in out and RED in out and GREEN in out
    assert TOKEN1 not in out


def test_sql_on_every_write_command(runner: CliRunner, demo: list[str], tmp_path: Path) -> None:
    url = demo[1]
    before = checksum(url)

    def sql(*args: str) -> str:
        result = invoke(runner, [*demo, *args, "--sql"])
        assert result.exit_code == 0, (args, result.output)
        assert "--sql: nothing written" in result.stderr
        statements = [s for s in result.stdout.split("\n") if s and not s.startswith("--")]
        assert statements and all(
            s.endswith(";") or not s.strip() or s[0].isspace() or s[0].isupper() or s.startswith(("FROM", "WHERE"))
            for s in statements
        )
        return result.stdout

    assert "UPDATE users SET is_archived=1" in sql("archive", "users", "42")
    assert "-- undelete users 7" in sql("restore", "users", "7")  # undelete: INSERT the last state again
    assert "INSERT INTO users (" in sql("restore", "users", "7")
    bulk = sql("restore", "users", "--at", "2026-11-16T09:00Z", "--all-changed-since", "2026-11-16T09:00Z")
    assert bulk.startswith("-- restore users to its state at 2026-11-16T09:00:00+00:00") and "UPDATE users" in bulk
    listed = json.loads(invoke(runner, [*demo, "-f", "json", "changes", "-n", "1"]).stdout)
    changeset = listed["changesets"][0]["id"]
    assert "UPDATE users SET" in sql("revert", changeset)
    plan = tmp_path / "plan.json"
    assert invoke(runner, [*demo, "restore", "users", "42", "--version", "p2", "--plan", str(plan)]).exit_code == 0
    assert "-- params: " in sql("apply", str(plan))  # a plan file holds compiled statements and their parameters
    assert checksum(url) == before


def test_apply_sql_redacts_the_parameters_of_secrets(runner: CliRunner, doc: str, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    assert invoke(runner, ["--db", doc, "restore", "doc", "1", "--version", "p1", "--plan", str(plan)]).exit_code == 0
    result = invoke(runner, ["--db", doc, "apply", str(plan), "--sql"])
    assert result.exit_code == 0 and '"api_token": "redacted"' in result.stdout
    assert TOKEN1 not in result.stdout and TOKEN2 not in result.stdout


def test_undelete_sql_on_postgresql(runner: CliRunner, pg_url: str) -> None:
    url = history_db.build(pg_url)
    before = checksum(url)
    result = invoke(runner, ["--db", url, "restore", "item", "2", "--sql"])
    assert result.exit_code == 0, result.output
    assert (
        "INSERT INTO item (id, name, email, status, version) VALUES (2, 'gadget', 'g@example.com', 'retired'"
        in result.stdout.replace("public.", "")
    )
    assert checksum(url) == before
