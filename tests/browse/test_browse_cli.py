"""``chrono browse`` as a command: bad input is one error line; on a real pseudo-terminal it opens and quits."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from typer.testing import CliRunner

from chrono_cli.errors import ExitCode
from tests.browse.pilot import DEMO, ROOT, demo_copy
from tests.conftest import invoke


def test_browse_needs_a_terminal(runner: CliRunner) -> None:
    result = invoke(runner, ["--db", str(DEMO), "browse"])
    assert result.exit_code == ExitCode.REFUSED
    assert result.stdout == ""
    assert result.stderr.splitlines() == ["error: chrono browse needs a terminal",
                                          "hint: use chrono history / diff / changes in scripts"]


def test_browse_changes_takes_no_table(runner: CliRunner) -> None:
    result = invoke(runner, ["--db", str(DEMO), "browse", "users", "--changes"])
    assert result.exit_code == ExitCode.USAGE
    assert result.stdout == ""
    assert "give TABLE [KEY], or --changes without TABLE" in result.stderr


def test_browse_opens_and_quits_on_a_terminal(tmp_path: Path) -> None:
    """The real command on a pseudo-terminal: the timeline appears, q quits with 0 (time to it is printed)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 140, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    env.update(PYTHONPATH=str(ROOT), TERM="xterm-256color")
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "chrono_cli", "--db", demo_copy(tmp_path), "browse", "user", "42"],
                            stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    seen = b""
    shown_at = None
    try:
        while time.perf_counter() - start < 120:
            ready, _, _ = select.select([master], [], [], 1)
            if not ready:
                continue
            try:
                seen += os.read(master, 65536)
            except OSError:
                break
            if shown_at is None and b"Dana Okafor" in seen:
                shown_at = time.perf_counter() - start
                os.write(master, b"q")
        assert proc.wait(timeout=60) == 0, seen[-2000:]
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert shown_at is not None, seen[-2000:]
    print(f"chrono browse user 42: timeline on screen after {shown_at:.2f} s (process start included)")
