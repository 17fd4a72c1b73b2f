"""Ctrl-C during a PostgreSQL query blocked on a lock always stops chrono's wait (chrono_cli/db/interrupt.py).

The cancel request is what normally ends the query (tests/cli/test_terminal.py runs that through the whole
command line); here it is made to fail or to go unanswered on a real connection, and the wait must still end:
the connection is dropped after the grace period, or at once on a second Ctrl-C.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support.ctrl_c import as_from_a_shell, interrupt_when_blocked

PROBE = Path(__file__).resolve().parents[1] / "support" / "interrupt_probe.py"


@pytest.mark.parametrize(("mode", "grace", "presses"), [
    ("cancel", 60.0, 1),  # the server cancels the query
    ("cancel-fails", 60.0, 1),  # no cancel could be sent: the connection is dropped at once
    ("cancel-lost", 0.5, 1),  # sent but never answered: dropped after the grace period
    ("cancel-lost", 60.0, 2),  # a second Ctrl-C does not wait for the grace period
])
def test_ctrl_c_ends_the_wait(pg_url: str, mode: str, grace: float, presses: int) -> None:
    engine = create_engine(pg_url)
    with engine.begin() as setup:
        setup.execute(text("CREATE TABLE held (id integer)"))
    with engine.connect() as locker, engine.connect() as watcher:
        locker.execute(text("LOCK TABLE held IN ACCESS EXCLUSIVE MODE"))  # held until rollback
        proc = subprocess.Popen([sys.executable, str(PROBE), pg_url, mode, str(grace)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, preexec_fn=as_from_a_shell)
        try:
            out, err = interrupt_when_blocked(proc, watcher, presses)
        finally:
            locker.rollback()
    engine.dispose()
    assert (proc.returncode, out, err) == (130, "waiting\ninterrupted\n", "")
