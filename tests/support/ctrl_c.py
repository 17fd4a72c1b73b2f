"""Ctrl-C sent to a process whose PostgreSQL query waits on a lock (tests/cli/test_terminal.py runs chrono,
tests/integration/test_interrupt.py the wait alone)."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import Connection, text


def as_from_a_shell() -> None:
    """In the child before it runs: Ctrl-C delivered and not ignored, as a shell starts a command (a test
    worker's own signal state, whatever earlier tests left in it, is not what a person's terminal gives)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _signal_state(pid: int) -> str:
    """The process's blocked, ignored and caught signal masks and its state (to tell a lost Ctrl-C from a hang)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError as exc:
        return f"no /proc status: {exc}"
    return ", ".join(line for line in status.splitlines() if line.startswith(("State", "SigBlk", "SigIgn", "SigCgt")))


def interrupt_when_blocked(proc: subprocess.Popen[str], watcher: Connection, presses: int = 1) -> tuple[str, str]:
    """Wait until PostgreSQL shows ``proc``'s query waiting for a lock in ``watcher``'s database (the deadline is
    wall-clock, however slow a loaded machine is), press Ctrl-C ``presses`` times, and return its (stdout,
    stderr); fails when it never waits or does not stop within 30 s. The lock must still be held."""
    try:
        deadline = time.monotonic() + 60
        waiting = 0
        while not waiting and proc.poll() is None and time.monotonic() < deadline:
            watcher.rollback()  # a fresh snapshot of pg_stat_activity
            waiting = watcher.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")).scalar_one()
            if not waiting:
                time.sleep(0.05)
        if waiting != 1:
            proc.kill()
            out, err = proc.communicate(timeout=30)
            pytest.fail(f"the query never waited for the lock (exit {proc.returncode}): {out!r} {err!r}")
        for press in range(presses):
            if press:
                time.sleep(0.3)  # the earlier press has been handled
            proc.send_signal(signal.SIGINT)
        try:  # only the interrupt can end the query's wait
            return proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            signals = _signal_state(proc.pid)
            proc.kill()
            out, err = proc.communicate(timeout=30)
            pytest.fail(f"the process did not stop within 30 s of Ctrl-C: {out!r} {err!r}; {signals}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
