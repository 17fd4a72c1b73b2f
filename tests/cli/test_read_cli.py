"""Every read command, format and error path through the CLI, on a SQLite file in history_meta's shape."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, create_engine, insert
from typer.testing import CliRunner

from chrono_cli.errors import ExitCode
from tests.conftest import invoke


@pytest.fixture
def demo(tmp_path: Path) -> str:
    """users 42: v1 (Ann) -> v2 (Anne) -> v3 (Anne B., current); users 7: v1 then deleted."""
    path = tmp_path / "app.db"
    engine = create_engine(f"sqlite:///{path}")
    md = MetaData()
    users = Table("users", md, Column("id", Integer, primary_key=True), Column("email", String(50), nullable=False),
                  Column("name", String(50)), Column("is_archived", Boolean),
                  Column("version", Integer, nullable=False))
    hist = Table("users_history", md, Column("id", Integer, primary_key=True),
                 Column("email", String(50), nullable=False), Column("name", String(50)),
                 Column("is_archived", Boolean), Column("version", Integer, primary_key=True),
                 Column("changed", DateTime))
    md.create_all(engine)
    from datetime import datetime
    with engine.begin() as conn:
        conn.execute(insert(users), [{"id": 42, "email": "ann@x.org", "name": "Anne B.", "is_archived": False,
                                      "version": 3}])
        conn.execute(insert(hist), [
            {"id": 42, "email": "ann@x.org", "name": "Ann", "is_archived": False, "version": 1,
             "changed": datetime(2026, 11, 1, 10, 0)},
            {"id": 42, "email": "ann@x.org", "name": "Anne", "is_archived": False, "version": 2,
             "changed": datetime(2026, 11, 2, 10, 0)},
            {"id": 7, "email": "bob@x.org", "name": "Bob", "is_archived": False, "version": 1,
             "changed": datetime(2026, 11, 3, 10, 0)},
        ])
    engine.dispose()
    return str(path)


def _ok(runner: CliRunner, args: list[str]) -> str:
    result = invoke(runner, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_history_json_contract(runner: CliRunner, demo: str) -> None:
    doc = json.loads(_ok(runner, ["--db", demo, "-f", "json", "history", "user", "42"]))
    assert doc["table"] == "users" and doc["key"] == {"id": 42} and doc["convention"] == "history-meta"
    assert doc["history"] == "users_history"
    assert [(v["seq"], v["version"], v["operation"], v["current"]) for v in doc["versions"]] == [
        (1, 1, "insert", False), (2, 2, "update", False), (3, 3, "update", True)]
    assert [v["values"]["name"] for v in doc["versions"]] == ["Ann", "Anne", "Anne B."]
    assert doc["versions"][1]["changes"] == [{"column": "name", "old": "Ann", "new": "Anne"}]
    assert doc["versions"][1]["valid_from"] == "2026-11-01T10:00:00+00:00"
    assert doc["versions"][1]["valid_to"] == "2026-11-02T10:00:00+00:00"
    assert doc["versions"][0]["valid_from"] is None


def test_history_of_a_deleted_row_ends_in_a_deletion(runner: CliRunner, demo: str) -> None:
    doc = json.loads(_ok(runner, ["--db", demo, "history", "users", "id=7", "-f", "json"]))
    last = doc["versions"][-1]
    assert last["operation"] == "delete" and last["values"] is None
    assert last["valid_from"] == "2026-11-03T10:00:00+00:00"


def test_history_plain_markdown_github_csv_jsonl(runner: CliRunner, demo: str) -> None:
    plain = _ok(runner, ["--db", demo, "history", "user", "42"])
    assert "name: Ann → Anne" in plain and "\x1b[" not in plain
    md = _ok(runner, ["--db", demo, "history", "user", "42", "-f", "markdown"])
    assert "|" in md and "---" in md
    gh = _ok(runner, ["--db", demo, "history", "user", "42", "-f", "github"])
    assert gh.count("\n") >= 5
    lines = _ok(runner, ["--db", demo, "history", "user", "42", "-f", "jsonl"]).splitlines()
    assert [json.loads(x)["seq"] for x in lines] == [1, 2, 3]
    assert all(json.loads(x)["table"] == "users" and json.loads(x)["key"] == {"id": 42} for x in lines)


def test_history_csv_is_one_row_per_version_and_column(runner: CliRunner, demo: str) -> None:
    rows = list(csv.DictReader(io.StringIO(_ok(runner, ["--db", demo, "history", "user", "42", "-f", "csv"]))))
    assert [(r["pos"], r["version"], r["current"], r["op"], r["column"], r["old"], r["new"]) for r in rows] == [
        ("p1", "1", "false", "insert", "id", "", "42"), ("p1", "1", "false", "insert", "email", "", "ann@x.org"),
        ("p1", "1", "false", "insert", "name", "", "Ann"), ("p1", "1", "false", "insert", "is_archived", "", "false"),
        ("p2", "2", "false", "update", "name", "Ann", "Anne"), ("p3", "3", "true", "update", "name", "Anne", "Anne B.")]
    assert {(r["from"], r["to"]) for r in rows if r["pos"] == "p2"} == {("2026-11-01 10:00:00+00:00",
                                                                          "2026-11-02 10:00:00+00:00")}
    deleted = list(csv.DictReader(io.StringIO(_ok(runner, ["--db", demo, "history", "user", "7", "-f", "csv"]))))
    assert [(r["pos"], r["op"], r["column"]) for r in deleted][-1] == ("p2", "delete", "")  # a version of no column


def test_plain_history_is_one_line_per_field_change_at_any_width(runner: CliRunner, demo: str) -> None:
    for width in ("40", "80", "200"):
        plain = invoke(runner, ["--db", demo, "-f", "plain", "history", "user", "42"], env={"COLUMNS": width}).stdout
        lines = plain.splitlines()
        assert sum("→" in line for line in lines) == 2 and sum(" = " in line for line in lines) == 4, width
        assert any(line.startswith("p2 ") and line.rstrip().endswith("name: Ann → Anne") for line in lines), width


def test_history_filters(runner: CliRunner, demo: str) -> None:
    doc = json.loads(_ok(runner, ["--db", demo, "-f", "json", "history", "user", "42", "--since", "2026-11-01T12:00Z"]))
    assert [v["seq"] for v in doc["versions"]] == [3]
    doc = json.loads(_ok(runner, ["--db", demo, "-f", "json", "history", "user", "42", "--limit", "2"]))
    assert [v["seq"] for v in doc["versions"]] == [2, 3]
    doc = json.loads(_ok(runner, ["--db", demo, "-f", "json", "history", "user", "42", "--reverse"]))
    assert [v["seq"] for v in doc["versions"]] == [3, 2, 1]
    doc = json.loads(_ok(runner, ["--db", demo, "-f", "json", "history", "user", "42", "--columns", "name"]))
    assert doc["versions"][0]["values"] == {"name": "Ann"}


def test_show_by_version_position_and_time(runner: CliRunner, demo: str) -> None:
    def name(*args: str) -> str:
        doc = json.loads(_ok(runner, ["--db", demo, "-f", "json", "show", "user", "42", *args]))
        return str(doc["version"]["values"]["name"])

    assert name() == "Anne B."
    assert name("--version", "1") == "Ann"
    assert name("--version", "#2") == "Anne"
    assert name("--version", "#-1") == "Anne B."
    assert name("--version", "p2") == "Anne"
    assert name("--version", "p-1") == "Anne B."
    assert name("--version", "P-3") == "Ann"
    assert name("--at", "2026-11-01T09:00Z") == "Ann"
    assert name("--at", "2026-11-01T10:00Z") == "Anne"
    assert name("--at", "2026-11-05") == "Anne B."


def test_time_before_an_unrecorded_start_says_so(runner: CliRunner, demo: str) -> None:
    doc = json.loads(_ok(runner, ["--db", demo, "-f", "json", "show", "user", "42", "--at", "2020-01-01"]))
    assert doc["version"]["seq"] == 1 and "does not record when this first version began" in doc["version"]["note"]


def test_show_deleted_row_shows_what_was_deleted(runner: CliRunner, demo: str) -> None:
    doc = json.loads(_ok(runner, ["--db", demo, "-f", "json", "show", "user", "7"]))
    assert doc["version"]["values"]["name"] == "Bob"
    result = invoke(runner, ["--db", demo, "show", "user", "7", "--at", "2026-11-04"])
    assert result.exit_code == ExitCode.NOT_FOUND and "did not exist" in result.stderr


def test_diff_default_and_explicit(runner: CliRunner, demo: str) -> None:
    doc = json.loads(_ok(runner, ["--db", demo, "-f", "json", "diff", "user", "42"]))
    assert doc["changes"] == [{"column": "name", "old": "Anne", "new": "Anne B."}]
    assert doc["from"]["seq"] == 2 and doc["to"]["seq"] == 3
    doc = json.loads(_ok(runner, ["--db", demo, "-f", "json", "diff", "user", "42", "1", "3"]))
    assert doc["changes"] == [{"column": "name", "old": "Ann", "new": "Anne B."}]
    doc = json.loads(_ok(runner, ["--db", demo, "-f", "json", "diff", "user", "42", "1", "2", "--all"]))
    assert {c["column"] for c in doc["changes"]} == {"id", "email", "name", "is_archived"}
    text = _ok(runner, ["--db", demo, "diff", "user", "42", "2026-11-01T09:00Z", "now"])
    assert "Ann" in text and "Anne B." in text


def test_tables_counts_and_explain(runner: CliRunner, demo: str) -> None:
    doc = json.loads(_ok(runner, ["--db", demo, "-f", "json", "tables", "--counts", "--explain"]))
    (entry,) = doc["tables"]
    assert entry["table"] == "users" and entry["conventions"] == ["history-meta", "soft-delete"]
    assert entry["rows"] == 1 and entry["history_rows"] == 3 and entry["archive_column"] == "is_archived"
    assert entry["evidence"]["history-meta"]


@pytest.mark.parametrize(("args", "code", "message"), [
    (["history", "nope", "1"], ExitCode.NOT_FOUND, "no table named 'nope'"),
    (["history", "user", "999"], ExitCode.NOT_FOUND, "no row with key id=999"),
    (["history", "user", "abc"], ExitCode.USAGE, "not a valid int"),
    (["show", "user", "42", "--version", "9"], ExitCode.NOT_FOUND, "no version 9"),
    (["show", "user", "42", "--version", "#9"], ExitCode.NOT_FOUND, "no position p9"),
    (["show", "user", "42", "--version", "p9"], ExitCode.NOT_FOUND,
     "no position p9 in the history of users 42 (it has p1 to p3)"),
    (["show", "user", "42", "--at", "yesterday-ish"], ExitCode.USAGE, "cannot read time"),
    (["show", "user", "42", "--version", "1", "--at", "2h"], ExitCode.USAGE, "not both"),
    (["history", "user", "42", "--columns", "nope"], ExitCode.USAGE, "no column nope"),
    (["history", "user", "42", "--convention", "potion"], ExitCode.CONVENTION, "not detected"),
    (["history", "user", "42", "--convention", "bogus"], ExitCode.USAGE, "unknown convention"),
])
def test_errors_are_one_line_with_exit_codes(runner: CliRunner, demo: str, args: list[str], code: int,
                                             message: str) -> None:
    result = invoke(runner, ["--db", demo, *args])
    assert result.exit_code == code, result.output
    assert message in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output
    assert result.stderr.splitlines()[0].startswith("error:")


def test_no_database_and_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke(runner, ["history", "user", "1"])
    assert result.exit_code == ExitCode.USAGE and "no database given" in result.stderr
    result = invoke(runner, ["--db", str(tmp_path / "nope.db"), "tables"])
    assert result.exit_code == ExitCode.USAGE and "no such database file" in result.stderr
    assert not (tmp_path / "nope.db").exists()


def test_unreachable_server_and_wrong_password_hide_the_password(runner: CliRunner) -> None:
    result = invoke(runner, ["--db", "postgresql://app:s3cret@127.0.0.1:1/prod", "tables"])
    assert result.exit_code == ExitCode.DATABASE and "cannot connect" in result.stderr
    assert "s3cret" not in result.output and len(result.stderr.strip().splitlines()) == 1


def test_database_url_from_environment(runner: CliRunner, demo: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo}")
    assert "users" in _ok(runner, ["tables"])
    monkeypatch.setenv("CHRONO_DATABASE_URL", "/nonexistent.db")
    assert invoke(runner, ["tables"]).exit_code == ExitCode.USAGE


def test_config_aliases_and_default_columns(runner: CliRunner, demo: str, tmp_path: Path) -> None:
    cfg = tmp_path / "chrono.toml"
    cfg.write_text(f'database = "sqlite:///{demo}"\n[aliases]\nmember = "users"\n'
                   '[tables.users]\ncolumns = ["email"]\n')
    doc = json.loads(_ok(runner, ["--config", str(cfg), "-f", "json", "history", "member", "42"]))
    assert doc["versions"][0]["values"] == {"email": "ann@x.org"}
    doc = json.loads(_ok(runner, ["--config", str(cfg), "-f", "json", "history", "member", "42", "--all"]))
    assert "name" in doc["versions"][0]["values"]
    cfg.write_text("[tables.users]\nbogus = 1\n")
    result = invoke(runner, ["--config", str(cfg), "--db", demo, "tables"])
    assert result.exit_code == ExitCode.USAGE and "unknown key" in result.stderr


@pytest.mark.parametrize("line", ['hidden = ["pasword"]', 'columns = ["emial"]', 'unrecorded = ["nope"]',
                                  'archive_column = "archived"', 'discriminator = "kind"'])
def test_config_naming_an_unknown_column_is_an_error(runner: CliRunner, demo: str, tmp_path: Path,
                                                      line: str) -> None:
    # a misspelt column would otherwise silently change what history shows (or hides)
    cfg = tmp_path / "chrono.toml"
    cfg.write_text(f"[tables.users]\n{line}\n")
    key, _, value = line.partition(" = ")
    for args in (["history", "user", "42"], ["tables"]):
        result = invoke(runner, ["--config", str(cfg), "--db", demo, *args])
        assert result.exit_code == ExitCode.USAGE, result.output
        first = result.stderr.splitlines()[0]
        assert first.startswith(f"error: config [tables.users] {key}: no column ") and value.strip('[]"') in first
        assert result.stdout == "" and "Traceback" not in result.output


def test_read_commands_never_write(runner: CliRunner, demo: str) -> None:
    before = hashlib.sha256(Path(demo).read_bytes()).hexdigest()
    for args in (["tables", "--counts"], ["history", "user", "42"], ["show", "user", "7"], ["diff", "user", "42"]):
        _ok(runner, ["--db", demo, *args])
    assert hashlib.sha256(Path(demo).read_bytes()).hexdigest() == before


def test_version_and_help(runner: CliRunner) -> None:
    assert _ok(runner, ["--version"]).startswith("chrono ")
    assert "history" in _ok(runner, ["--help"])


def test_naive_times_read_in_the_configured_zone(runner: CliRunner, demo: str, tmp_path: Path) -> None:
    cfg = tmp_path / "chrono.toml"
    cfg.write_text('[tables.users]\ntimezone = "Europe/Berlin"\n')
    doc = json.loads(_ok(runner, ["--config", str(cfg), "--db", demo, "-f", "json", "history", "user", "42"]))
    assert doc["versions"][0]["valid_to"] == "2026-11-01T09:00:00+00:00"  # stored 10:00 Berlin time = 09:00 UTC
    shown = json.loads(_ok(runner, ["--config", str(cfg), "--db", demo, "-f", "json", "show", "user", "42",
                                    "--at", "2026-11-01T09:30"]))  # naive input: Berlin time too
    assert shown["version"]["values"]["name"] == "Ann"
