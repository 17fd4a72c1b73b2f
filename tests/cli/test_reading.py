"""The reading experience (issue 14): who did it (actor_column / reason_column), readable terminal output at 80
and 200 columns, times in the reader's zone, values told apart. Data comes from SQLAlchemy's real history_meta
(the demo database and tests/cli/actor_story.py); expectations are read back from what the library stored."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from chrono_cli.errors import ExitCode
from chrono_cli.model import Op, RowKey, TableRef, Timeline, Version
from chrono_cli.render.display import Display, relative
from chrono_cli.render.views import tabular
from tests.cli import actor_story
from tests.cli.test_terminal import COLOUR, run_piped, run_tty
from tests.conftest import invoke

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo.sqlite"
CONF = ROOT / "examples" / "chrono.toml"
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _json(runner: CliRunner, *args: str) -> Any:
    result = invoke(runner, ["-f", "json", *args])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _demo(*args: str, db: Path = DEMO) -> list[str]:
    return ["--db", str(db), "--config", str(CONF), *args]


def _stored_editors(db: Path) -> list[str]:
    """users 42's updated_by in every state history_meta stored (history rows, then the live row)."""
    with create_engine(f"sqlite:///{db}").connect() as conn:
        old = conn.execute(text("SELECT updated_by FROM users_history WHERE id = 42 ORDER BY version")).scalars()
        live = conn.execute(text("SELECT updated_by FROM users WHERE id = 42")).scalar_one()
        return [*old, live]


def test_actor_column_names_who_made_each_version(runner: CliRunner) -> None:
    doc = _json(runner, *_demo("history", "user", "42"))
    assert [v["actor"] for v in doc["versions"]] == _stored_editors(DEMO)
    bare = _json(runner, "--db", str(DEMO), "history", "user", "42")
    assert {v["actor"] for v in bare["versions"]} == {None}  # undeclared: never guessed from a column name
    blame = _json(runner, *_demo("blame", "user", "42"))
    for line in blame["columns"]:
        assert line["actor"] == doc["versions"][line["seq"] - 1]["actor"]


def test_changes_are_attributed_grouped_and_filtered_by_the_actor_column(runner: CliRunner) -> None:
    versions = _json(runner, *_demo("history", "user", "42"))["versions"]
    by_time = {v["valid_from"]: v["actor"] for v in versions if v["valid_from"]}
    listing = _json(runner, *_demo("changes", "users", "--limit", "1000"))["changesets"]
    mine = [c for s in listing for c in s["changes"] if c["key"] == {"id": 42}]
    assert mine and all(c["actor"] == by_time[c["at"]] for c in mine)
    assert all(len({c["actor"] for c in s["changes"]}) == 1 and s["actor"] == s["changes"][0]["actor"]
               for s in listing)
    riley = _json(runner, *_demo("changes", "users", "--limit", "1000", "--actor", "riley@support"))["changesets"]
    assert [s["id"] for s in riley] == [s["id"] for s in listing if s["actor"] == "riley@support"] != []


def test_explain_suggests_actor_columns_but_never_applies_them(runner: CliRunner) -> None:
    bare = {t["table"]: t for t in _json(runner, "--db", str(DEMO), "tables", "--explain")["tables"]}
    assert bare["users"]["suggestions"] == ['[tables.users] actor_column = "updated_by"']
    declared = {t["table"]: t for t in _json(runner, *_demo("tables", "--explain"))["tables"]}
    assert declared["users"]["suggestions"] == []
    shown = invoke(runner, ["--db", str(DEMO), "tables", "--explain"])
    assert 'suggestion (not applied): [tables.users] actor_column = "updated_by"' in shown.stdout


def test_a_restore_stamps_the_actor_column(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite"
    shutil.copy(DEMO, db)
    before = _json(runner, *_demo("history", "user", "42", db=db))["versions"]
    result = invoke(runner, _demo("restore", "user", "42", "--version", "3", "--actor", "alice@ops", "--yes", db=db))
    assert result.exit_code == 0, result.stderr
    assert "no place for an actor" not in result.stdout + result.stderr
    after = _json(runner, *_demo("history", "user", "42", db=db))["versions"]
    assert _stored_editors(db)[-1] == "alice@ops" == after[-1]["actor"]
    assert {k: v for k, v in after[-1]["values"].items() if k != "updated_by"} == \
        {k: v for k, v in before[2]["values"].items() if k != "updated_by"}


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[tuple[int, str]]]:
    base = tmp_path_factory.mktemp("docs")
    saves = actor_story.build(f"sqlite:///{base / 'docs.sqlite'}")
    config = base / "chrono.toml"
    config.write_text('[tables.docs]\nactor_column = "last_editor_id"\nreason_column = "change_reason"\n')
    return base / "docs.sqlite", config, saves


def test_a_user_id_actor_reads_as_the_user_and_resolves_back(runner: CliRunner, tmp_path: Path,
                                                             docs: tuple[Path, Path, list[tuple[int, str]]]) -> None:
    source, config, saves = docs
    db = tmp_path / "docs.sqlite"
    shutil.copy(source, db)
    args = ["--db", str(db), "--config", str(config)]
    versions = _json(runner, *args, "history", "docs", "7")["versions"]
    assert [v["actor"] for v in versions] == [actor_story.EDITORS[e] for e, _ in saves]
    assert [v["reason"] for v in versions] == [None, "typo", None]
    assert [v["values"]["title"] for v in versions] == [t for _, t in saves]
    unknown = invoke(runner, [*args, "restore", "docs", "7", "--version", "1", "--actor", "eve@example.com", "--yes"])
    assert unknown.exit_code == ExitCode.USAGE
    assert unknown.stderr.startswith("error: --actor 'eve@example.com' names no")
    assert len(_json(runner, *args, "history", "docs", "7")["versions"]) == 3  # nothing written
    done = invoke(runner, [*args, "restore", "docs", "7", "--version", "1", "--actor", "bob@example.com", "--yes"])
    assert done.exit_code == 0, done.stderr
    with create_engine(f"sqlite:///{db}").connect() as conn:
        assert conn.execute(text("SELECT last_editor_id, title FROM docs WHERE id = 7")).one() == (2, "draft")
    assert _json(runner, *args, "history", "docs", "7")["versions"][-1]["actor"] == "bob@example.com"


def test_a_declared_column_the_table_lacks_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "chrono.toml"
    config.write_text('[tables.users]\nactor_column = "edited_by"\n')
    result = invoke(runner, ["--db", str(DEMO), "--config", str(config), "history", "user", "42"])
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.startswith("error: config [tables.users] actor_column: no column 'edited_by' in users\n")


@pytest.mark.parametrize("cols", [80, 200])
@pytest.mark.parametrize("command", [["history", "user", "42"], ["blame", "user", "42"],
                                     ["changes", "users", "--limit", "4"]])
def test_terminal_layout_fits_and_keeps_tokens_whole(cols: int, command: list[str]) -> None:
    code, out = run_tty(["--no-pager", *_demo(*command)], cols=cols, rows=200)
    assert code == 0, out
    assert COLOUR.search(out)
    plain = ESCAPES.sub("", out).replace("\r", "")
    data = [line for line in plain.splitlines() if not line.startswith("note:")]
    assert max(len(line) for line in data) <= cols
    piped = run_piped(_demo("--tz", "UTC", *command))
    assert piped.returncode == 0 and "\x1b" not in piped.stdout
    tokens = set(re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d|[\w.]+@[\w.]+", piped.stdout))
    assert tokens and all(t in plain for t in tokens), tokens - {t for t in tokens if t in plain}


def test_times_in_the_readers_zone_or_relative(runner: CliRunner) -> None:
    versions = _json(runner, *_demo("history", "user", "42"))["versions"]
    stamps = [datetime.fromisoformat(v["valid_from"]) for v in versions if v["valid_from"]]
    berlin = invoke(runner, _demo("--tz", "Europe/Berlin", "history", "user", "42")).stdout
    assert "(times in Europe/Berlin)" in berlin.splitlines()[0] and "+00:00" not in berlin
    assert all(t.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%d %H:%M:%S") in berlin for t in stamps)
    start = datetime.now(UTC)
    rel = invoke(runner, _demo("--relative", "history", "user", "42")).stdout
    end = datetime.now(UTC)
    assert all(relative(t, start) in rel or relative(t, end) in rel for t in stamps)
    bad = invoke(runner, _demo("--tz", "Mars/Base", "history", "user", "42"))
    assert bad.exit_code == ExitCode.USAGE and "unknown time zone 'Mars/Base'" in bad.stderr


def test_relative_times_read_in_the_largest_unit() -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert [relative(datetime(2026, 11, 30, 9, 0, tzinfo=UTC), now), relative(now, now),
            relative(datetime(2026, 11, 16, 12, 0, tzinfo=UTC), now),
            relative(datetime(2026, 12, 1, 12, 0, tzinfo=UTC), now)] == \
        ["3 hours ago", "just now", "2 weeks ago", "in 1 day"]


def test_values_that_read_alike_are_told_apart() -> None:
    values = [None, "", "NULL", "a ", "a\u200bb", "plain"]
    states = [Version({"id": 1, "v": v}, Op.UPDATE, seq=i + 1) for i, v in enumerate(values)]
    tl = Timeline(TableRef(None, "t"), RowKey((("id", 1),)), "test", None, ("id", "v"), tuple(states))
    from chrono_cli.model import RecordView

    shown = [tabular(RecordView(tl, s, ("v",)), Display()).rows[0][1] for s in states]
    assert shown == [None, "''", "'NULL'", "'a '", "'a\\u200bb'", "plain"]
    assert len(set(shown)) == len(shown)
    assert tabular(RecordView(tl, states[1], ("v",))).rows[0][1] == ""  # csv keeps the stored value


def test_declared_secrets_are_redacted_in_every_format_unless_asked(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "chrono.toml"
    config.write_text('[tables.users]\nactor_column = "updated_by"\nredact = ["plan"]\n')
    args = ["--db", str(DEMO), "--config", str(config)]
    shown = _json(runner, "--db", str(DEMO), "history", "user", "42")["versions"]
    assert {v["values"]["plan"] for v in shown} >= {"free", "pro"}
    hidden = _json(runner, *args, "history", "user", "42")["versions"]
    assert {v["values"]["plan"] for v in hidden} == {"redacted"}
    assert [[c["column"] for c in v["changes"]] for v in hidden] == [[c["column"] for c in v["changes"]] for v in shown]
    diff = _json(runner, *args, "diff", "user", "42")
    assert {"column": "plan", "old": "redacted", "new": "redacted"} in diff["changes"]
    blame = {line["column"]: line for line in _json(runner, *args, "blame", "user", "42")["columns"]}
    assert blame["plan"]["value"] == blame["plan"]["previous"] == "redacted"
    changes = _json(runner, *args, "changes", "users", "--limit", "3")["changesets"]
    assert all(c["old"] == c["new"] == "redacted" for s in changes for r in s["changes"] for c in r["changes"]
               if c["column"] == "plan")
    for fmt in ("markdown", "plain", "csv"):
        out = invoke(runner, [*args, "-f", fmt, "history", "user", "42"])
        assert out.exit_code == 0 and "redacted" in out.stdout and "team" not in out.stdout, fmt
        assert "plan redacted (a secret)" in out.stderr
    plain = _json(runner, *args, "--show-secrets", "history", "user", "42")["versions"]
    assert [v["values"] for v in plain] == [v["values"] for v in shown]


def test_history_columns_lists_only_the_versions_that_changed_them(runner: CliRunner) -> None:
    full = _json(runner, "--db", str(DEMO), "history", "user", "42")["versions"]
    named = _json(runner, "--db", str(DEMO), "history", "user", "42", "--columns", "name")["versions"]
    assert [v["seq"] for v in named] == [v["seq"] for v in full
                                        if v["seq"] == 1 or any(c["column"] == "name" for c in v["changes"])]
    assert len(named) < len(full)


@pytest.mark.parametrize(("typed", "expected"), [
    ("yesterday", datetime(2026, 11, 29, tzinfo=UTC)), ("today", datetime(2026, 11, 30, tzinfo=UTC)),
    ("3 days ago", datetime(2026, 11, 27, 12, 30, tzinfo=UTC)), ("2weeks", datetime(2026, 11, 16, 12, 30, tzinfo=UTC)),
    ("1mo", datetime(2026, 10, 30, 12, 30, tzinfo=UTC)), ("1y", datetime(2025, 11, 30, 12, 30, tzinfo=UTC)),
    ("5m", datetime(2026, 11, 30, 12, 25, tzinfo=UTC)), ("1763283720", datetime(2025, 11, 16, 9, 2, tzinfo=UTC)),
    ("Nov 16", datetime(2026, 11, 16, tzinfo=UTC)), ("Dec 24", datetime(2025, 12, 24, tzinfo=UTC)),
])
def test_time_expressions_people_type(typed: str, expected: datetime) -> None:
    from chrono_cli.services.times import parse_time

    assert parse_time(typed, now=datetime(2026, 11, 30, 12, 30, tzinfo=UTC)) == expected


def test_capital_m_is_refused_not_read_as_minutes(runner: CliRunner) -> None:
    result = invoke(runner, ["--db", str(DEMO), "history", "user", "42", "--since", "1M"])
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == ("error: cannot read time '1M': M could mean minutes or months\n"
                             "hint: write 1m for minutes or 1mo for months\n")


def test_columns_named_like_secrets_are_redacted_in_every_format(runner: CliRunner, tmp_path: Path) -> None:
    from tests.cli.history_db import build

    url = build(f"sqlite:///{tmp_path / 'items.db'}")   # note.secret: only in the live row, as Chrononaut keeps it
    stored = _json(runner, "--db", url, "--show-secrets", "show", "note", "1")["version"]["values"]["secret"]
    assert stored and _json(runner, "--db", url, "show", "note", "1")["version"]["values"]["secret"] == "redacted"
    for fmt in ("plain", "markdown", "table", "csv", "jsonl"):
        out = invoke(runner, ["--db", url, "-f", fmt, "show", "note", "1"]).stdout
        assert "redacted" in out and stored not in out, fmt
        shown = invoke(runner, ["--db", url, "-f", fmt, "--show-secrets", "show", "note", "1"]).stdout
        assert stored in shown and "redacted" not in shown, fmt


def test_a_plan_closes_with_its_counts_and_marks_each_row(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite"
    shutil.copy(DEMO, db)
    args = _demo("restore", "user", "42", "--version", "3", "--dry-run", db=db)
    items = _json(runner, *args)["items"]
    out = invoke(runner, ["-f", "plain", *args]).stdout
    changed = sum(1 for i in items if i["action"] not in ("undelete", "delete"))
    assert out.splitlines()[-1] == f"Plan: 0 to add, {changed} to change, 0 to delete."
    assert out.startswith("~ restore users 42 to p3")


def _run_tty_answering(args: list[str], answer: str) -> tuple[int, str]:
    """chrono on a pseudo-terminal, with ``answer`` typed at its prompt."""
    import os
    import pty
    import subprocess

    from tests.cli.test_terminal import CHRONO, _env

    master, slave = pty.openpty()
    proc = subprocess.Popen([*CHRONO, *args], stdin=slave, stdout=slave, stderr=slave, env=_env(), close_fds=True)
    os.close(slave)
    os.write(master, answer.encode() + b"\n")  # the terminal holds the line until chrono reads it
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=120), ESCAPES.sub("", b"".join(chunks).decode("utf-8", "replace"))


def test_more_than_a_hundred_rows_ask_for_the_row_count(tmp_path: Path) -> None:
    db = tmp_path / "many.sqlite"
    between = actor_story.build_many(f"sqlite:///{db}", 101)
    args = ["--db", str(db), "--no-pager", "restore", "docs", "--at", between, "--all-changed-since", between]
    code, out = _run_tty_answering(args, "y")
    assert code == ExitCode.REFUSED and "type 101 to go on" in out and "nothing written" in out
    with create_engine(f"sqlite:///{db}").connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM docs WHERE title LIKE '%(edited)'")).scalar_one() == 101
    code, out = _run_tty_answering(args, "101")
    assert code == 0, out
    with create_engine(f"sqlite:///{db}").connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM docs WHERE title LIKE '%(edited)'")).scalar_one() == 0
