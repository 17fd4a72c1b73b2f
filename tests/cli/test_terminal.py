"""Terminal manners, checked on real processes: colour only on a terminal, pager for long output,
"did you mean", and Ctrl-C exiting 130 without a traceback."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from chrono_cli.errors import ExitCode
from tests.cli.history_db import LONG, build
from tests.conftest import invoke
from tests.support.ctrl_c import as_from_a_shell, interrupt_when_blocked

ROOT = Path(__file__).resolve().parents[2]
CHRONO = [sys.executable, "-m", "chrono_cli"]
# an SGR sequence that sets a colour (30-37, 38;..., 90-97 foreground; 40-47, 48;..., 100-107 background)
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")


@pytest.fixture
def items(tmp_path: Path) -> str:
    return build(f"sqlite:///{tmp_path / 'items.db'}")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NO_COLOR", "FORCE_COLOR", "PAGER", "CHRONO_PAGER", "LESS", "COLUMNS", "LINES",
                        "CHRONO_FORMAT")}
    env.update(PYTHONPATH=str(ROOT), TERM="xterm-256color", **extra)
    return env


def run_piped(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CHRONO, *args], capture_output=True, text=True, env=_env(**env), timeout=120,
                          check=False)


def run_tty(args: list[str], *, rows: int = 24, cols: int = 160, **env: str) -> tuple[int, str]:
    """Run chrono with stdin, stdout and stderr on a pseudo-terminal of the given size."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    proc = subprocess.Popen([*CHRONO, *args], stdin=slave, stdout=slave, stderr=slave, env=_env(**env),
                            close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every writer has closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


def test_piped_output_has_no_escape_codes(items: str) -> None:
    for args in (["-f", "table", "diff", "item", "1"], ["history", "item", "1"], ["blame", "item", "1"]):
        result = run_piped(["--db", items, *args])
        assert result.returncode == 0, result.stderr
        assert "widget" in result.stdout
        assert "\x1b" not in result.stdout, args
    error = run_piped(["--db", items, "history", "nope", "1"])
    assert error.returncode == ExitCode.NOT_FOUND
    assert error.stderr.startswith("error: no table named 'nope'") and "\x1b" not in error.stderr


def test_terminal_gets_colour_unless_no_color(items: str) -> None:
    code, shown = run_tty(["--db", items, "-f", "table", "diff", "item", "1"])
    assert code == 0 and COLOUR.search(shown), shown
    for args, env in (([], {"NO_COLOR": "1"}), (["--no-color"], {})):
        code, shown = run_tty(["--db", items, *args, "-f", "table", "diff", "item", "1"], **env)
        assert code == 0 and "widget" in shown
        assert not COLOUR.search(shown), (args, env, shown)
        code, shown = run_tty(["--db", items, *args, "history", "nope", "1"], **env)
        assert code == ExitCode.NOT_FOUND and "no table named 'nope'" in shown
        assert not COLOUR.search(shown), (args, env, shown)


def test_long_output_on_a_terminal_goes_through_the_pager(items: str, tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    code, shown = run_tty(["--db", items, "history", "item", "3"], rows=20, PAGER=f"cat > {paged}")
    assert code == 0
    assert "l1@example.com" in paged.read_text() and f"l{LONG}@example.com" in paged.read_text()
    assert "l1@example.com" not in shown


def test_no_pager_for_short_output_a_pipe_or_when_turned_off(items: str, tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    pager = f"cat > {paged}"
    code, shown = run_tty(["--db", items, "history", "item", "1"], rows=60, PAGER=pager)  # fits on screen
    assert code == 0 and "widget 2" in shown
    code, shown = run_tty(["--db", items, "--no-pager", "history", "item", "3"], rows=20, PAGER=pager)
    assert code == 0 and f"l{LONG}@example.com" in shown
    code, shown = run_tty(["--db", items, "history", "item", "3"], rows=20, PAGER="cat")
    assert code == 0 and f"l{LONG}@example.com" in shown
    result = run_piped(["--db", items, "history", "item", "3"], PAGER=pager, LINES="20")
    assert result.returncode == 0 and f"l{LONG}@example.com" in result.stdout
    assert not paged.exists()


def test_chrono_pager_comes_before_pager(items: str, tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours.txt", tmp_path / "theirs.txt"
    code, shown = run_tty(["--db", items, "history", "item", "3"], rows=20, CHRONO_PAGER=f"cat > {ours}",
                          PAGER=f"cat > {theirs}")
    assert code == 0 and f"l{LONG}@example.com" in ours.read_text() and not theirs.exists()
    for off in ("", "cat", "  "):  # CHRONO_PAGER set empty or to cat turns paging off, whatever PAGER says
        code, shown = run_tty(["--db", items, "history", "item", "3"], rows=20, CHRONO_PAGER=off,
                              PAGER=f"cat > {theirs}")
        assert code == 0 and f"l{LONG}@example.com" in shown and not theirs.exists(), repr(off)


def _recording_pager(tmp_path: Path, name: str) -> tuple[str, Path]:
    """A pager called ``name`` that records its arguments (one per line) and shows nothing."""
    script = tmp_path / name
    record = tmp_path / f"{name}.args"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\ncat > /dev/null\n')
    script.chmod(0o755)
    return str(script), record


def test_the_pager_opens_at_the_newest_version(items: str, tmp_path: Path) -> None:
    less, args = _recording_pager(tmp_path, "less")
    code, _ = run_tty(["--db", items, "history", "item", "3"], rows=20, PAGER=f"{less} -S")
    assert code == 0 and args.read_text().split() == ["-S", "+G"]  # oldest first: the newest is at the end
    code, _ = run_tty(["--db", items, "history", "item", "3", "--reverse"], rows=20, PAGER=less)
    assert code == 0 and args.read_text().split() == []  # newest first: the top is the newest
    other, other_args = _recording_pager(tmp_path, "most")
    code, _ = run_tty(["--db", items, "history", "item", "3"], rows=20, CHRONO_PAGER=other)
    assert code == 0 and other_args.read_text().split() == []  # a pager chrono does not know gets no flags


def test_real_less_shows_the_newest_version_first(items: str) -> None:
    if shutil.which("less") is None:
        pytest.skip("less not installed")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 20, 160, 0, 0))
    proc = subprocess.Popen([*CHRONO, "--db", items, "history", "item", "3"], stdin=slave, stdout=slave,
                            stderr=slave, env=_env(PAGER="less"), close_fds=True)
    os.close(slave)
    screen = b""
    deadline = time.monotonic() + 60
    while f"l{LONG}@example.com".encode() not in screen and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1)
        if ready:
            screen += os.read(master, 65536)
    os.write(master, b"q")
    assert proc.wait(timeout=60) == 0
    os.close(master)
    shown = screen.decode("utf-8", "replace")
    assert f"l{LONG}@example.com" in shown  # the first screen less draws ends at the newest version
    assert "l1@example.com" not in shown


def test_notes_and_paging_hints_come_after_the_table(items: str) -> None:
    # `cat -u` is a pager (not plain cat, which turns paging off) that prints straight to the terminal
    code, shown = run_tty(["--db", items, "changes", "--limit", "30"], rows=20, PAGER="cat -u")
    assert code == 0
    assert shown.index("note: more: chrono changes --before") > shown.rindex("@example.com")
    assert shown.index("note:") > shown.rindex("@example.com")


@pytest.mark.parametrize(("typed", "suggested"), [("histroy", "'history'"), ("bl", "'blame'"),
                                                  ("dif", "'diff'")])
def test_mistyped_command_suggests(runner: CliRunner, typed: str, suggested: str) -> None:
    result = invoke(runner, [typed])
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.splitlines() == [f"error: no such command '{typed}'", f"hint: did you mean {suggested}?"]


def test_keyboard_interrupt_anywhere_exits_130(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    from chrono_cli.cli import app as app_module

    def interrupted(**_kw: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(app_module, "full_app", lambda: interrupted)
    with pytest.raises(SystemExit) as exc:
        app_module.main()
    assert exc.value.code == ExitCode.INTERRUPTED
    assert capsys.readouterr().err == "interrupted\n"


def test_ctrl_c_while_a_query_waits_on_a_lock(pg_url: str) -> None:
    build(pg_url)
    engine = create_engine(pg_url)
    with engine.connect() as locker, engine.connect() as watcher:
        locker.execute(text("LOCK TABLE item_history IN ACCESS EXCLUSIVE MODE"))  # held until rollback
        proc = subprocess.Popen([*CHRONO, "--db", pg_url, "history", "item", "1"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=_env(), preexec_fn=as_from_a_shell)
        try:  # chrono is then inside the query, where Ctrl-C must cancel it
            out, err = interrupt_when_blocked(proc, watcher)
        finally:
            locker.rollback()
    engine.dispose()
    assert proc.returncode == ExitCode.INTERRUPTED, err
    assert out == ""
    assert err == "interrupted\n"


def test_tables_shows_progress_only_on_a_terminal(tmp_path: Path) -> None:
    """`chrono tables` under a real pseudo-terminal draws a progress bar on stderr; through a pipe it does not."""
    import os
    import pty
    import select
    import subprocess
    import sys

    demo = Path(__file__).resolve().parents[2] / "examples" / "demo.sqlite"
    args = [sys.executable, "-m", "chrono_cli", "--db", str(demo), "--no-pager", "tables", "--counts"]
    piped = subprocess.run(args, capture_output=True, text=True)
    assert piped.returncode == 0 and "\x1b[" not in piped.stderr and "counting" not in piped.stderr
    leader, follower = pty.openpty()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=follower, stdin=subprocess.DEVNULL)
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 10)
        if not ready:
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=30) == 0
    os.close(leader)
    assert b"\x1b[" in seen  # rich drew (and then cleared) the transient bar
