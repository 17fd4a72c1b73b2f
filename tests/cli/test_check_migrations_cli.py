"""check-migrations through the CLI: exit codes, every output format, and bad input."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Column, String, create_engine
from typer.testing import CliRunner

from chrono_cli.errors import ExitCode
from tests.conftest import StoryClone, invoke
from tests.integration.restore_support import history_meta_clone


@pytest.fixture
def clean_db(story_clone: StoryClone) -> str:
    url, _ = history_meta_clone(story_clone, "sqlite")
    return url


@pytest.fixture
def drift_db(story_clone: StoryClone) -> str:
    """appuser gained a column its history table did not: one error."""
    url, _ = history_meta_clone(story_clone, "sqlite")
    engine = create_engine(url)
    with engine.begin() as conn:
        Operations(MigrationContext.configure(conn)).add_column("appuser", Column("nickname", String(40)))
    engine.dispose()
    return url


def run(runner: CliRunner, *args: str, **kw: object):  # type: ignore[no-untyped-def]
    return invoke(runner, list(args), **kw)


def test_clean_database_exits_0(runner: CliRunner, clean_db: str) -> None:
    result = run(runner, "--db", clean_db, "check-migrations", catch_exceptions=False)
    assert result.exit_code == ExitCode.OK, result.stderr
    assert result.stdout.splitlines()[-1] == "checked 2 tables: 0 errors, 0 warnings, 0 info - passed"
    assert result.stderr == ""


def test_drift_exits_3_with_a_grouped_report(runner: CliRunner, drift_db: str) -> None:
    result = run(runner, "--db", drift_db, "check-migrations", catch_exceptions=False)
    assert result.exit_code == ExitCode.DRIFT == 3
    lines = result.stdout.splitlines()
    assert lines[0] == "appuser -> appuser_history (history-meta)"
    assert re.match(r"  error +missing-column +appuser_history\.nickname +appuser\.nickname \(varchar\(40\)\)",
                    lines[1])
    assert lines[-1] == "checked 2 tables: 1 error, 0 warnings, 0 info - FAILED"


def test_json(runner: CliRunner, drift_db: str) -> None:
    result = run(runner, "--db", drift_db, "check-migrations", "-f", "json", catch_exceptions=False)
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    assert [(f["kind"], f["severity"], f["column"], f["fails"]) for f in doc["findings"]] == \
        [("missing-column", "error", "nickname", True)]
    assert doc["summary"]["passed"] is False and doc["summary"]["errors"] == 1
    assert "FAILED" in result.stderr  # the verdict goes to stderr, stdout is pure JSON


def test_jsonl_and_csv(runner: CliRunner, drift_db: str) -> None:
    result = run(runner, "--db", drift_db, "check-migrations", "-f", "jsonl")
    assert [json.loads(line)["kind"] for line in result.stdout.splitlines()] == ["missing-column"]
    result = run(runner, "--db", drift_db, "check-migrations", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["table"], r["kind"], r["column"], r["fails"]) for r in rows] == \
        [("appuser", "missing-column", "nickname", "true")]


def test_junit(runner: CliRunner, drift_db: str) -> None:
    result = run(runner, "--db", drift_db, "check-migrations", "-f", "junit", catch_exceptions=False)
    assert result.exit_code == 3
    suite = ET.fromstring(result.stdout).find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"appuser -> appuser_history", "employee -> employee_history"}
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    failure = cases["appuser -> appuser_history"].find("failure")
    assert failure is not None and failure.get("type") == "missing-column"
    assert cases["employee -> employee_history"].find("failure") is None


def test_github_annotations(runner: CliRunner, drift_db: str) -> None:
    result = run(runner, "--db", drift_db, "check-migrations", "-f", "github", "--suggest", catch_exceptions=False)
    assert result.exit_code == 3
    first, last = result.stdout.splitlines()[0], result.stdout.splitlines()[-1]
    assert first.startswith("::error title=chrono check-migrations missing-column%3A appuser_history.nickname::"
                            "error: appuser.nickname (varchar(40)) is not in appuser_history")
    assert "%0AALTER TABLE appuser_history ADD COLUMN nickname VARCHAR(40);%0Aop.add_column(" in first
    assert last.endswith("FAILED")
    # the global -f github means annotations here too (for the other commands it is a markdown table)
    again = run(runner, "--db", drift_db, "-f", "github", "check-migrations")
    assert again.stdout.startswith("::error title=")


def test_markdown_and_table(runner: CliRunner, drift_db: str) -> None:
    result = run(runner, "--db", drift_db, "check-migrations", "-f", "markdown")
    assert result.stdout.startswith("| table ") and "| missing-column |" in result.stdout
    result = run(runner, "--db", drift_db, "check-migrations", "-f", "table")
    assert "appuser -> appuser_history (history-meta)" in result.stdout and "missing-column" in result.stdout


def test_suggest_prints_ddl_and_alembic(runner: CliRunner, drift_db: str) -> None:
    result = run(runner, "--db", drift_db, "check-migrations", "--suggest", catch_exceptions=False)
    assert result.exit_code == 3
    assert "ALTER TABLE appuser_history ADD COLUMN nickname VARCHAR(40);" in result.stdout
    assert "op.add_column('appuser_history', sa.Column('nickname', sa.VARCHAR(length=40), nullable=True))" \
        in result.stdout


def test_strict_and_severity_overrides(runner: CliRunner, drift_db: str, tmp_path: Path) -> None:
    config = tmp_path / "chrono.toml"
    config.write_text('[tables.appuser]\nseverity = {missing-column = "warning"}\n')
    result = run(runner, "--db", drift_db, "--config", str(config), "check-migrations")
    assert result.exit_code == 0 and "warning  missing-column" in result.stdout
    result = run(runner, "--db", drift_db, "--config", str(config), "check-migrations", "--strict")
    assert result.exit_code == 3 and "(--strict: warnings fail)" in result.stdout
    config.write_text('[tables.appuser]\nseverity = {missing-column = "ignore"}\n')
    assert run(runner, "--db", drift_db, "--config", str(config), "check-migrations", "--strict").exit_code == 0


def test_table_option(runner: CliRunner, drift_db: str) -> None:
    assert run(runner, "--db", drift_db, "check-migrations", "--table", "employee").exit_code == 0
    assert run(runner, "--db", drift_db, "check-migrations", "-t", "employee", "-t", "appusers").exit_code == 3


@pytest.mark.parametrize(("args", "code", "message"), [
    (["check-migrations", "--table", "nope"], ExitCode.NOT_FOUND, "error: no table named 'nope'"),
    (["check-migrations", "-f", "yaml"], ExitCode.USAGE, "invalid value for '--format' / '-f'"),
    (["--config", "{bad}", "check-migrations"], ExitCode.USAGE, "unknown finding kind 'missing-colum'"),
    (["--config", "{level}", "check-migrations"], ExitCode.USAGE, "expected error, warning, info or ignore"),
])
def test_bad_input(runner: CliRunner, drift_db: str, tmp_path: Path, args: list[str], code: int,
                   message: str) -> None:
    (tmp_path / "bad.toml").write_text('[tables.appuser]\nseverity = {missing-colum = "warning"}\n')
    (tmp_path / "level.toml").write_text('[tables.appuser]\nseverity = {missing-column = "fatal"}\n')
    args = [a.replace("{bad}", str(tmp_path / "bad.toml")).replace("{level}", str(tmp_path / "level.toml"))
            for a in args]
    result = run(runner, "--db", drift_db, *args)
    assert result.exit_code == code
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_database_errors_are_not_drift(runner: CliRunner, tmp_path: Path) -> None:
    result = run(runner, "--db", "postgresql://nobody@127.0.0.1:1/nothing", "check-migrations")
    assert result.exit_code == ExitCode.DATABASE == 7
    assert result.stdout == "" and result.stderr.startswith("error: cannot connect")
    result = run(runner, "--db", str(tmp_path / "missing.db"), "check-migrations")
    assert result.exit_code == ExitCode.USAGE and "no such database file" in result.stderr
    result = run(runner, "check-migrations")
    assert result.exit_code == ExitCode.USAGE and "no database given" in result.stderr


def test_empty_database_needs_allow_empty(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    create_engine(f"sqlite:///{path}").connect().close()
    refused = run(runner, "--db", str(path), "check-migrations", "-f", "json")
    assert refused.exit_code == 5 and refused.stdout == ""  # pointed at the wrong database: never a pass
    result = run(runner, "--db", str(path), "check-migrations", "-f", "json", "--allow-empty")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["summary"]["tables"] == 0


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _example_commands() -> list[list[str]]:
    """Every ``chrono ...`` command in the CI and pre-commit examples, cut at shell operators."""
    import shlex

    import yaml

    workflow = yaml.safe_load((EXAMPLES / "github-actions-check-migrations.yml").read_text())
    hook = yaml.safe_load((EXAMPLES / "pre-commit-config.yaml").read_text())
    assert "postgres" in workflow["jobs"]["check-migrations"]["services"]
    steps = workflow["jobs"]["check-migrations"]["steps"]
    assert any(s.get("run") == "alembic upgrade head" for s in steps)
    lines = [line for s in steps for line in s.get("run", "").splitlines()]
    lines += [h["entry"] for repo in hook["repos"] for h in repo["hooks"]]
    commands = []
    for line in lines:
        if "chrono check-migrations" not in line:
            continue
        text = line[line.index("chrono check-migrations"):]
        for stop in (">", "||", "&&", "#", "'"):
            text = text.split(stop, 1)[0]
        commands.append(shlex.split(text)[1:])
    return commands


def test_the_ci_and_pre_commit_examples_run(runner: CliRunner, drift_db: str) -> None:
    commands = _example_commands()
    assert ["check-migrations", "-f", "github"] in commands and len(commands) == 4
    for args in commands:
        result = run(runner, "--db", drift_db, *args)
        assert result.exit_code == ExitCode.DRIFT, (args, result.stderr)
        assert result.stdout


def test_continuum_is_compared(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "continuum.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:  # SQLAlchemy-Continuum's layout, as its create_all writes it
        conn.exec_driver_sql("CREATE TABLE \"transaction\" (id INTEGER PRIMARY KEY, issued_at DATETIME, "
                             "remote_addr VARCHAR(50))")
        conn.exec_driver_sql("CREATE TABLE article (id INTEGER PRIMARY KEY, title VARCHAR(80) NOT NULL)")
        conn.exec_driver_sql("CREATE TABLE article_version (id INTEGER NOT NULL, title VARCHAR(80), "
                             "transaction_id BIGINT NOT NULL, end_transaction_id BIGINT, operation_type SMALLINT "
                             "NOT NULL, PRIMARY KEY (id, transaction_id))")
    engine.dispose()
    result = run(runner, "--db", str(path), "check-migrations", "-f", "json", "--strict", catch_exceptions=False)
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["findings"] == []
    assert [(c["table"], c["convention"]) for c in doc["checked"]] == [("article", "continuum")]
    assert not any(n.startswith("not checked:") for n in doc["summary"]["notes"])


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from chrono_cli.cli import progress as check_cli

    class Stream(io.StringIO):
        def __init__(self, tty: bool) -> None:
            super().__init__()
            self.tty = tty

        def isatty(self) -> bool:
            return self.tty

    monkeypatch.setattr(check_cli.sys, "stderr", Stream(False))
    with check_cli.progress_bar() as progress:
        assert progress is None
    terminal = Stream(True)
    monkeypatch.setattr(check_cli.sys, "stderr", terminal)
    # the stderr console is built on first use (state.StderrConsole): its real Console is the terminal's here
    monkeypatch.setattr(check_cli, "err_console", SimpleNamespace(real=Console(file=terminal, force_terminal=True)))
    with check_cli.progress_bar() as progress:
        assert progress is not None
        progress("comparing tables", 5, 10)
    assert "comparing tables" in terminal.getvalue()
