"""Hostile input through the real CLI: one error line (maybe a hint), the documented exit code, no traceback,
nothing written. The bundled demo (history_meta users, edited in an "edit war") is copied per test."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chrono_cli.errors import ExitCode
from tests.conftest import invoke

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.sqlite"
AT = "2026-11-16T10:00Z"  # users 42 was at version 5 then


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "demo.sqlite"
    shutil.copyfile(DEMO, path)
    return path


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_one_error(stderr: str, says: str) -> None:
    """Exactly one error line, then at most one hint; notes (stderr chatter for people) may come before."""
    lines = [ln for ln in stderr.splitlines() if not ln.startswith("note: ")]
    assert "Traceback" not in stderr and "Usage:" not in stderr and "Error:" not in stderr, stderr
    assert 1 <= len(lines) <= 2 and lines[0].startswith("error: "), stderr
    assert len(lines) == 1 or lines[1].startswith("hint: "), stderr
    assert says in stderr, stderr


# --- usage errors: click's usage block becomes the house error/hint pair --------------------------------------

@pytest.mark.parametrize(("args", "error", "hint"), [
    (["-f", "yaml", "tables"], "error: invalid value for '--format' / '-f': 'yaml' is not one of 'auto', 'table', "
     "'plain', 'markdown', 'github', 'json', 'jsonl', 'csv'", "hint: run 'chrono --help'"),
    (["history", "user", "42", "--bogus"], "error: no such option: --bogus", "hint: did you mean --columns?"),
    (["show", "user", "42", "--zzzzzz"], "error: no such option: --zzzzzz", "hint: run 'chrono show --help'"),
    (["history", "user", "42", "--colums", "name"], "error: no such option: --colums",
     "hint: did you mean --columns?"),
    (["histroy", "user", "42"], "error: no such command 'histroy'", "hint: did you mean 'history'?"),
    (["history"], "error: missing argument 'TABLE'", "hint: run 'chrono history --help'"),
    (["history", "user", "42", "-n", "abc"], "error: invalid value for '--limit' / '-n': Input should be a valid "
     "integer, unable to parse string as an integer", "hint: run 'chrono history --help'"),
    (["restore", "user", "42", "--all-changed-since", "2h"], "error: invalid value for --at: --all-changed-since / "
     "--keys restore many rows: give --at TIME, and no KEY, --version or --plan", "hint: run 'chrono restore --help'"),
    (["changes", "show"], "error: missing argument 'ID'", "hint: run 'chrono changes show --help'"),
    (["history", "user", "42", "extra"], "error: got unexpected extra argument(s) (extra)",
     "hint: run 'chrono history --help'"),
])
def test_usage_errors_are_one_error_and_one_hint(runner: CliRunner, demo: Path, args: list[str], error: str,
                                                 hint: str) -> None:
    result = invoke(runner, ["--db", str(demo), *args])
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.splitlines() == [error, hint]
    assert result.stdout == ""


def test_a_bad_format_in_the_environment_is_a_usage_error(runner: CliRunner, demo: Path) -> None:
    result = invoke(runner, ["--db", str(demo), "tables"], env={"CHRONO_FORMAT": "yaml"})
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.splitlines() == ["error: invalid value for CHRONO_FORMAT: 'yaml' is not one of 'auto', "
                                          "'table', 'plain', 'markdown', 'github', 'json', 'jsonl', 'csv'",
                                          "hint: run 'chrono --help'"]


def test_a_bare_chrono_still_prints_its_help(runner: CliRunner) -> None:
    result = invoke(runner, [])
    assert result.exit_code == ExitCode.USAGE and "Read commands:" in result.output and "error:" not in result.output


# --- values that cannot be parsed, and what chrono refuses instead of answering silently ---------------------

BAD_VALUES: list[tuple[list[str], ExitCode, str]] = [
    (["history", "user", "99999999999999999999999"], ExitCode.USAGE,
     "key value 99999999999999999999999 is out of range for column id (a 64-bit integer at most)"),
    (["history", "user", "-9223372036854775809"], ExitCode.USAGE, "out of range for column id"),
    (["history", "user", "42", "-n", "99999999999999999999999"], ExitCode.USAGE,
     "99999999999999999999999 is not a count from 1 to 1000000000"),
    (["deleted", "user", "-n", "0"], ExitCode.USAGE, "0 is not a count from 1 to 1000000000"),
    (["show", "user", "42", "--at", "9999-12-31T23:59:59-14:00"], ExitCode.USAGE,
     "time '9999-12-31T23:59:59-14:00' lies outside the calendar in UTC"),
    (["show", "user", "42", "--at", "0001-01-01T00:00:00+14:00"], ExitCode.USAGE, "lies outside the calendar"),
    (["history", "user", "42", "--since", "99999999999d"], ExitCode.USAGE,
     "time '99999999999d' lies before the year 1"),
    (["history", "user", "42", "--since", "1000000w"], ExitCode.USAGE, "time '1000000w' lies before the year 1"),
    (["changes", "--until", "99999999999999999999999s"], ExitCode.USAGE, "lies before the year 1"),
    (["show", "user", "42", "--at", ""], ExitCode.USAGE, "invalid value for '--at': empty value"),
    (["show", "user", "42", "--version", " "], ExitCode.USAGE, "empty value"),
    (["history", "user", "42", "--since", ""], ExitCode.USAGE, "empty value"),
    (["show", "user", "42", "--at", "2099-01-01"], ExitCode.USAGE, "2099-01-01T00:00:00+00:00 is in the future"),
    (["restore", "user", "42", "--at", "2099-01-01", "--yes"], ExitCode.USAGE, "is in the future"),
    (["show", "user", "id=42,id=43"], ExitCode.USAGE, "key 'id=42,id=43' names id twice"),
    (["history", "user", "4\udcff2"], ExitCode.USAGE, "key '4\\xff2' is not valid UTF-8"),
    (["history", "user", "4\x002"], ExitCode.USAGE, "holds a NUL character"),
    (["archive", "user", "42", "4\udcff", "--yes"], ExitCode.USAGE, "is not valid UTF-8"),
    (["changes", "--window", "nan"], ExitCode.USAGE, "nan is not a number of seconds from 0 to 86400"),
    (["changes", "--window", "inf"], ExitCode.USAGE, "inf is not a number of seconds from 0 to 86400"),
    (["changes", "show", "@1763283720000", "--window", "-1"], ExitCode.USAGE,
     "-1.0 is not a number of seconds from 0 to 86400"),
    (["revert", "@1763283720000", "--window", "-1", "--yes"], ExitCode.USAGE, "is not a number of seconds"),
    (["changes", "show", "abc"], ExitCode.USAGE, "cannot read change set id 'abc'"),
    (["revert", "99999999999999999999999", "--yes"], ExitCode.USAGE,
     "cannot read change set id '99999999999999999999999'"),
    (["revert", "@99999999999999999999", "--yes"], ExitCode.USAGE, "cannot read change set id '@99999999999999999999'"),
    (["changes", "show", "@abc"], ExitCode.USAGE, "cannot read change set id '@abc'"),
    (["show", "user", "42", "--version", "p99"], ExitCode.NOT_FOUND,
     "no position p99 in the history of users 42 (it has p1 to p10)"),
    (["show", "user", "42", "--version", "#x"], ExitCode.USAGE, "cannot read position '#x'"),
    (["history", "temp.users", "42"], ExitCode.NOT_FOUND, "no schema named 'temp'"),
]


@pytest.mark.parametrize(("args", "code", "says"), BAD_VALUES)
def test_bad_values_are_refused_before_anything_happens(runner: CliRunner, demo: Path, args: list[str],
                                                        code: ExitCode, says: str) -> None:
    before = checksum(demo)
    result = invoke(runner, ["--db", str(demo), *args])
    assert result.exit_code == code, result.output
    assert_one_error(result.stderr, says)
    assert result.stdout == ""
    assert checksum(demo) == before


@pytest.mark.parametrize(("url", "code", "says"), [
    ("postgresql://u:secret@localhost:abc/db", ExitCode.USAGE,
     "cannot parse database URL: postgresql://u:***@localhost:abc/db"),
    ("postgresql://u:secret@[::1/db", ExitCode.USAGE, "cannot parse database URL: postgresql://u:***@[::1/db"),
    ("postgresql://u:secret@127.0.0.1:99999/db", ExitCode.USAGE, "port 99999 is out of range (1 to 65535)"),
    ("postgresql://u@127.0.0.1:5432/db?sslmode=disable&password=secret", ExitCode.DATABASE,
     "postgresql+psycopg2://u@127.0.0.1:5432/db?password=***&sslmode=disable"),
    ("postgresql://postgres:p@ss@secret@127.0.0.1:5432/chrono_no_such_db", ExitCode.DATABASE,
     "postgresql+psycopg2://postgres:***@127.0.0.1:5432/chrono_no_such_db"),
])
def test_urls_never_show_a_password_or_a_traceback(runner: CliRunner, url: str, code: ExitCode, says: str) -> None:
    result = invoke(runner, ["--db", url, "tables"])
    assert result.exit_code == code
    assert_one_error(result.stderr, says)
    assert "secret" not in result.output


# --- files: keys files and plans --------------------------------------------------------------------------

def _plan(runner: CliRunner, demo: Path, tmp_path: Path) -> dict[str, object]:
    path = tmp_path / "plan.json"
    made = invoke(runner, ["--db", str(demo), "restore", "user", "42", "--version", "3", "--plan", str(path)])
    assert made.exit_code == 0, made.output
    doc: dict[str, object] = json.loads(path.read_text())
    return doc


def _item_field(field: str, value: object) -> Callable[[dict[str, object]], None]:
    def change(doc: dict[str, object]) -> None:
        doc["items"][0][field] = value  # type: ignore[index]
    return change


def _expected(doc: dict[str, object]) -> None:
    doc["items"][0]["expected"]["history_rows"] = "3"  # type: ignore[index]


@pytest.mark.parametrize(("change", "says"), [
    (_expected, "malformed plan: expected.history_rows must be an integer, not str"),
    (_item_field("diff", "xx"), "malformed plan: diff must be a list, not str"),
    (_item_field("key", [42]), "malformed plan: key must be an object, not list"),
    (_item_field("target", {"seq": "3"}), "malformed plan: target.seq must be an integer, not str"),
    (_item_field("statements", [{"sql": "DELETE FROM users"}]), "an entry of statements has no label, params"),
    (lambda doc: doc.update(items=[]), "the plan has no items: it writes nothing"),
    (lambda doc: doc.update(items={"a": 1}), "malformed plan: items must be a list, not dict"),
    (lambda doc: doc.update(created_at=5), "malformed plan: created_at must be a string, not int"),
    (lambda doc: doc.update(created_at="yesterday"), "created_at 'yesterday' is not an ISO-8601 time"),
])
def test_a_mistyped_plan_names_its_field(runner: CliRunner, demo: Path, tmp_path: Path,
                                         change: Callable[[dict[str, object]], None], says: str) -> None:
    doc = _plan(runner, demo, tmp_path)
    change(doc)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    before = checksum(demo)
    result = invoke(runner, ["--db", str(demo), "apply", str(bad), "--yes"])
    assert result.exit_code == ExitCode.USAGE
    assert_one_error(result.stderr, says)
    assert checksum(demo) == before


@pytest.mark.parametrize(("content", "code", "says"), [
    (b"42\n4\xff3\n", ExitCode.USAGE, "is not UTF-8 text (byte 4 cannot be read)"),
    (b"42\n4\x003\n", ExitCode.USAGE, ":2: key '4\\x003' holds a NUL character"),
    (b"99999\n99998\n", ExitCode.NOT_FOUND, "names 2 keys with no row of users and no history: 99999, 99998"),
    (b"42\n99998  # typo\n", ExitCode.NOT_FOUND, "keys.txt names 1 key with no row of users and no history: 99998"),
    (b"# nothing\n\n", ExitCode.USAGE, "names no rows"),
    (b"99999999999999999999\n", ExitCode.USAGE, ":1: key value 99999999999999999999 is out of range"),
])
def test_keys_files(runner: CliRunner, demo: Path, tmp_path: Path, content: bytes, code: ExitCode,
                    says: str) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_bytes(content)
    before = checksum(demo)
    result = invoke(runner, ["--db", str(demo), "restore", "user", "--at", AT, "--keys", str(keys), "--yes"])
    assert result.exit_code == code, result.output
    assert_one_error(result.stderr, says)
    assert checksum(demo) == before


@pytest.mark.parametrize(("content", "says"), [
    (b'{"format": "chrono-plan", "table": "\xff"}', "is not UTF-8 text (byte 36 cannot be read)"),
    (b"[" * 100_000 + b"]" * 100_000, "is nested too deeply to be a chrono plan"),
    (b'{"format": "chrono-plan"', "is not JSON: Expecting ',' delimiter"),
    (b'["chrono-plan"]', 'not a chrono plan (no "format": "chrono-plan")'),
])
def test_files_that_are_not_plans(runner: CliRunner, demo: Path, tmp_path: Path, content: bytes, says: str) -> None:
    plan = tmp_path / "plan.json"
    plan.write_bytes(content)
    result = invoke(runner, ["--db", str(demo), "apply", str(plan), "--yes"])
    assert result.exit_code == ExitCode.USAGE
    assert_one_error(result.stderr, says)


def test_a_keys_file_with_a_byte_order_mark_and_crlf(runner: CliRunner, demo: Path, tmp_path: Path) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_bytes(b"\xef\xbb\xbf42\r\n")
    result = invoke(runner, ["--db", str(demo), "-f", "json", "restore", "user", "--at", AT, "--keys", str(keys),
                             "--dry-run"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["restored"] == 1


# --- every argument position against the worst values: never a traceback, exit 1 or 7, or a usage block -----

WORST = ["99999999999999999999999", "", "a\x00b", "a\udcffb", "9999-12-31T23:59:59-14:00", "1000000w", "nan",
         "x" * 5000]
POSITIONS = [
    ["history", "user", "{}"], ["history", "{}", "42"], ["history", "user", "42", "--since", "{}"],
    ["history", "user", "42", "-n", "{}"], ["show", "user", "42", "--version", "{}"],
    ["show", "user", "42", "--at", "{}"],
    ["show", "user", "42", "--columns", "{}"], ["diff", "user", "42", "p1", "{}"], ["blame", "user", "42", "-c", "{}"],
    ["changes", "--since", "{}"], ["changes", "--before", "{}"], ["changes", "--actor", "{}"], ["changes", "-n", "{}"],
    ["changes", "--window", "{}"], ["changes", "show", "{}"], ["changes", "{}"], ["deleted", "{}"],
    ["revert", "{}", "--dry-run"], ["restore", "user", "42", "--version", "{}", "--dry-run"],
    ["restore", "user", "42", "--only", "{}", "--version", "3", "--dry-run"],
    ["restore", "user", "--at", "2026-11-16T10:00Z", "--all-changed-since", "{}", "--dry-run"],
    ["restore", "user", "--at", "2026-11-16T10:00Z", "--keys", "{}", "--dry-run"],
    ["archive", "user", "{}", "--dry-run"],
    ["restore", "user", "42", "--version", "3", "--reason", "{}", "--dry-run"], ["apply", "{}", "--dry-run"],
    ["restore", "user", "42", "--version", "3", "--plan", "{}"], ["archive", "user", "42", "--plan", "{}"],
    ["--schema", "{}", "tables"], ["--config", "{}", "tables"], ["check-migrations", "{}"],
]


@pytest.mark.parametrize("template", POSITIONS, ids=lambda t: " ".join(t))
def test_no_position_breaks_on_the_worst_values(runner: CliRunner, demo: Path, template: list[str],
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a plan file named by a hostile value lands here
    before = checksum(demo)
    for value in WORST:
        args = [a.replace("{}", value) for a in template]
        result = invoke(runner, ["--db", str(demo), *args])
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
        assert result.exit_code not in (ExitCode.ERROR, ExitCode.DATABASE), (args, result.stderr)
        if result.exit_code:
            lines = [ln for ln in result.stderr.splitlines() if not ln.startswith(("note: ", "warning: "))]
            assert lines[0].startswith("error: ") and len(lines) <= 2 and "Usage:" not in result.output, (args, lines)
    assert checksum(demo) == before
