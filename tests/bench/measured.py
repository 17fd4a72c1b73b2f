"""Run a command and measure it alone: wall time, its own CPU time and its peak RSS (GNU time's figures).

The peak RSS the kernel reports to a parent (``wait4``) for a child that forked from a large process counts the
parent's pages the child started with; GNU time forks the command from a small process, so it reports the
command's own peak.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass

TIME = "/usr/bin/time"


@dataclass(frozen=True)
class Measured:
    wall: float
    cpu: float  # user + system of the command
    rss_kib: int
    code: int
    stdout: str


def measured(cmd: list[str], env: dict[str, str] | None = None) -> Measured:
    """``cmd`` run once under GNU time (stdout kept, stderr dropped)."""
    if not os.access(TIME, os.X_OK):
        raise SystemExit(f"{TIME} (GNU time) is needed to measure peak RSS")
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        started = time.perf_counter()
        done = subprocess.run(
            [TIME, "-f", "%U %S %M", "-o", report.name, *cmd], capture_output=True, text=True, env=env
        )
        wall = time.perf_counter() - started
        user, system, rss = report.read().split()[-3:]
    return Measured(wall, float(user) + float(system), int(rss), done.returncode, done.stdout)
