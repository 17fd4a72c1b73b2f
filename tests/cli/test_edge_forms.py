"""Forms that must work at the edges (pN positions, negative keys, main.table, a time after the last change),
text keys PostgreSQL cannot take, and stdout closed, full or gone, in a real process."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine, insert
from typer.testing import CliRunner

from chrono_cli.errors import ExitCode
from tests.conftest import invoke

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.sqlite"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "demo.sqlite"
    shutil.copyfile(DEMO, path)
    return path


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ok(runner: CliRunner, demo: Path, *args: str) -> str:
    result = invoke(runner, ["--db", str(demo), *args])
    assert result.exit_code == 0, result.output
    return str(result.stdout)


def test_positions_need_no_quoting_and_hash_stays_an_alias(runner: CliRunner, demo: Path) -> None:
    by_p = ok(runner, demo, "diff", "user", "42", "p1", "p5")
    assert by_p.splitlines()[0] == "users 42 [history-meta: users_history]: p1 (version 1) → p5 (version 5)"
    assert by_p == ok(runner, demo, "diff", "user", "42", "#1", "#5")
    assert ok(runner, demo, "show", "user", "42", "-V", "p-1") == ok(runner, demo, "show", "user", "42", "-V", "10")
    assert ok(runner, demo, "show", "user", "42", "-V", "P-2") == ok(runner, demo, "show", "user", "42", "-V", "9")
    history = ok(runner, demo, "history", "user", "42", "-n", "1")
    assert history.splitlines()[1].split()[0] == "pos" and history.splitlines()[2].split()[0] == "p10"


def test_negative_keys_are_arguments_and_negative_values_reach_their_option(runner: CliRunner, demo: Path) -> None:
    with sqlite3.connect(demo) as conn:
        conn.execute("INSERT INTO users (id, email, name, plan, is_archived, updated_by, version) "
                     "VALUES (-7, 'neg@example.com', 'Negative Seven', 'free', 0, 'seed', 1)")
    shown = ok(runner, demo, "show", "user", "-7")
    assert "Negative Seven" in shown
    assert "neg@example.com" in ok(runner, demo, "history", "user", "-7", "-n", "1")
    result = invoke(runner, ["--db", str(demo), "history", "user", "42", "-n", "-5"])
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.splitlines()[0] == "error: invalid value for '--limit' / '-n': -5 is not a count from 1 to " \
                                            "1000000000"


def test_sqlite_main_schema_names_the_table(runner: CliRunner, demo: Path) -> None:
    assert ok(runner, demo, "history", "main.users", "42") == ok(runner, demo, "history", "users", "42")


def test_mariadb_database_name_qualifies_the_table(runner: CliRunner, mysql_url: str) -> None:
    from sqlalchemy.engine import make_url

    _accounts(mysql_url)
    name = make_url(mysql_url).database
    plain = invoke(runner, ["--db", mysql_url, "history", "account", "ab"])
    assert plain.exit_code == 0 and "second" in plain.stdout
    qualified = invoke(runner, ["--db", mysql_url, "history", f"{name}.account", "ab"])
    assert qualified.exit_code == 0 and qualified.stdout == plain.stdout
    other = invoke(runner, ["--db", mysql_url, "history", "not_this_db.account", "ab"])
    assert other.exit_code == ExitCode.NOT_FOUND and other.stderr.startswith("error: no schema named 'not_this_db'")


def test_a_time_after_the_last_change_says_it_is_the_latest_state(runner: CliRunner, demo: Path) -> None:
    result = invoke(runner, ["--db", str(demo), "show", "user", "42", "--at", "2026-11-20T00:00Z"])
    assert result.exit_code == 0
    assert result.stdout == ok(runner, demo, "show", "user", "42")
    assert result.stderr == ("note: 2026-11-20T00:00:00+00:00 is after the last recorded change "
                             "(2026-11-16T11:38:00+00:00): this is the latest state\n")


# --- text keys on PostgreSQL: NUL and invalid UTF-8 never reach the driver ---------------------------------

@pytest.fixture
def accounts(pg_url: str) -> str:
    """account (text key) with a history_meta-shaped account_history: 'ab' has versions 1 and 2."""
    return _accounts(pg_url)


def _accounts(url: str) -> str:
    engine = create_engine(url)
    md = MetaData()
    account = Table("account", md, Column("code", String(20), primary_key=True), Column("name", String(50)),
                    Column("version", Integer, nullable=False))
    history = Table("account_history", md, Column("code", String(20), primary_key=True), Column("name", String(50)),
                    Column("version", Integer, primary_key=True), Column("changed", DateTime))
    md.create_all(engine)
    from datetime import datetime
    with engine.begin() as conn:
        conn.execute(insert(account), [{"code": "ab", "name": "second", "version": 2}])
        conn.execute(insert(history), [{"code": "ab", "name": "first", "version": 1,
                                        "changed": datetime(2026, 11, 1, 10, 0)}])
    engine.dispose()
    return url


TEXT_KEYS = [
    (["history", "account", "a\x00b"], "key 'a\\x00b' holds a NUL character"),
    (["history", "account", "a\udcffb"], "key 'a\\xffb' is not valid UTF-8"),
    (["show", "account", "code=a\udcff"], "is not valid UTF-8"),
    (["restore", "account", "x\x00", "--version", "1", "--yes"], "holds a NUL character"),
    (["restore", "account", "ab", "--version", "1", "--reason", "x\x00y", "--yes"],
     "invalid value for '--reason': value 'x\\x00y' holds a NUL character"),
    (["restore", "account", "ab", "--version", "1", "--actor", "x\udcff", "--yes"],
     "invalid value for '--actor': value 'x\\xff' is not valid UTF-8"),
    (["history", "acc\x00ount", "ab"], "invalid value for 'TABLE': value 'acc\\x00ount' holds a NUL character"),
    (["--schema", "pub\x00lic", "history", "account", "ab"], "invalid value for '--schema'"),
]


def test_text_keys_postgresql_cannot_take(runner: CliRunner, accounts: str, tmp_path: Path) -> None:
    """One database for every case: creating and dropping one per case costs seconds on a busy server."""
    assert "second" in invoke(runner, ["--db", accounts, "show", "account", "ab"]).stdout
    for args, says in TEXT_KEYS:
        result = invoke(runner, ["--db", accounts, *args])
        assert result.exit_code == ExitCode.USAGE, (args, result.output)
        assert result.stderr.splitlines()[0].startswith("error: ") and says in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output and len(result.stderr.splitlines()) <= 2
    keys = tmp_path / "keys.txt"
    keys.write_bytes(b"ab\nc\x00d\n")
    result = invoke(runner, ["--db", accounts, "restore", "account", "--at", "2026-11-01T11:00Z", "--keys", str(keys),
                             "--yes"])
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == f"error: {keys}:2: key 'c\\x00d' holds a NUL character\n"
    assert "second" in invoke(runner, ["--db", accounts, "show", "account", "ab"]).stdout  # nothing written


# --- stdout closed, full, or gone: a real process ----------------------------------------------------------

def chrono(args: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "chrono_cli", *args], stderr=subprocess.PIPE, text=True,
                          env=env, timeout=120, check=False, **kw)  # type: ignore[call-overload, no-any-return]


def test_a_closed_stdout_refuses_before_writing(demo: Path) -> None:
    before = checksum(demo)
    args = ["--db", str(demo), "restore", "user", "42", "--version", "3", "--yes"]
    done = subprocess.run(["bash", "-c", 'exec "$@" >&-', "bash", sys.executable, "-m", "chrono_cli", *args],
                          stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    assert done.returncode == ExitCode.ERROR
    assert done.stderr == "error: cannot write output: standard output is closed\n"
    assert checksum(demo) == before


def test_a_full_disk_is_one_error_line(demo: Path) -> None:
    with open("/dev/full", "w") as full:
        done = chrono(["--db", str(demo), "history", "user", "42"], stdout=full)
    assert done.returncode == ExitCode.ERROR
    assert done.stderr == "error: cannot write output: No space left on device\n"


def test_a_reader_that_went_away_is_a_quiet_141(demo: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # like `| head -c1` after head has exited
    try:
        done = chrono(["--db", str(demo), "history", "user", "42"], stdout=write_end)
    finally:
        os.close(write_end)
    assert done.returncode == ExitCode.BROKEN_PIPE == 141
    assert done.stderr == ""


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["history", "--help"]])
def test_help_and_version_to_a_full_disk_or_a_gone_reader_end_as_any_output(args: list[str]) -> None:
    """--help and --version print while the options are parsed, before the command runs: the same one error line
    (exit 1) on a full disk, the same quiet 141 where the reader went away."""
    with open("/dev/full", "w") as full:
        done = chrono(args, stdout=full)
    assert (done.returncode, done.stderr) == (ExitCode.ERROR, "error: cannot write output: No space left on device\n")
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = chrono(args, stdout=write_end)
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (ExitCode.BROKEN_PIPE, "")
    done = subprocess.run(["bash", "-c", 'exec "$@" >&-', "bash", sys.executable, "-m", "chrono_cli", *args],
                          stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    assert (done.returncode, done.stderr) == (ExitCode.ERROR, "error: cannot write output: standard output is closed\n")


def test_a_full_stderr_keeps_the_exit_code(demo: Path) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "chrono_cli", "--db", str(demo), "history", "user", "999"],
                              stdout=subprocess.PIPE, stderr=full, timeout=120, check=False)
    assert done.returncode == ExitCode.NOT_FOUND and done.stdout == b""


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "table"])
def test_a_reader_that_went_away_mid_stream_is_a_quiet_141_on_postgresql(pg_url: str, fmt: str) -> None:
    """The versions stream from a server-side cursor: a pipe that closes mid-stream leaves that cursor unfinished.
    It is closed while its transaction is open, so nothing reaches stderr (closed after, SQLAlchemy logged a
    traceback there, 'named cursor isn't valid anymore')."""
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        for statement in (
            "CREATE TABLE appuser (id integer PRIMARY KEY, email varchar(120) NOT NULL, version integer NOT NULL)",
            "CREATE TABLE appuser_history (id integer NOT NULL, email varchar(120) NOT NULL, "
            "version integer NOT NULL, changed timestamp, PRIMARY KEY (id, version))",
            "INSERT INTO appuser VALUES (1, 'last@example.com', 3001)",
            "INSERT INTO appuser_history SELECT 1, 'v' || v || '@example.com', v, "
            "timestamp '2026-01-01' + v * interval '1 second' FROM generate_series(1, 3000) v",
        ):
            conn.exec_driver_sql(statement)
    engine.dispose()
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = chrono(["--db", pg_url, "-f", fmt, "history", "appuser", "1"], stdout=write_end)
    finally:
        os.close(write_end)
    assert done.returncode == ExitCode.BROKEN_PIPE
    assert done.stderr == ""
