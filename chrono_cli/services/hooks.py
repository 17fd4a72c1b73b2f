"""Running the configured ``[hooks]`` commands (no shell) with the plan as JSON on stdin."""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Callable, Mapping

from chrono_cli.errors import Refused

KNOWN = ("before_commit", "after_commit")


def run_hook(name: str, command: str, payload: str) -> str | None:
    """Run ``command`` with ``payload`` on stdin; None on success, else a one-line reason."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        return f"cannot parse the {name} hook command: {exc}"
    if not argv:
        return f"the {name} hook command is empty"
    try:
        proc = subprocess.run(argv, input=payload, capture_output=True, text=True, check=False,
                              env={**os.environ, "CHRONO_HOOK": name})
    except OSError as exc:
        return f"cannot run the {name} hook {argv[0]!r}: {exc.strerror or exc}"
    if proc.returncode == 0:
        return None
    lines = [ln.strip() for ln in (proc.stderr or "").splitlines() + (proc.stdout or "").splitlines() if ln.strip()]
    status = f"exited with {proc.returncode}" if proc.returncode > 0 else f"was killed by signal {-proc.returncode}"
    return f"{name} hook {argv[0]!r} {status}" + (f": {lines[0]}" if lines else "")


def before_commit(hooks: Mapping[str, str], payload: Callable[[], str]) -> None:
    """Run the ``before_commit`` hook, if one is set, inside the write's transaction: a failure refuses the write
    (the transaction rolls back)."""
    command = hooks.get("before_commit")
    if command:
        problem = run_hook("before_commit", command, payload())
        if problem:
            raise Refused(f"{problem}; rolled back, nothing written")


def after_commit(hooks: Mapping[str, str], payload: Callable[[], str]) -> list[str]:
    """Run the ``after_commit`` hook, if one is set: its failure is a warning (the change is committed)."""
    command = hooks.get("after_commit")
    problem = run_hook("after_commit", command, payload()) if command else None
    return [f"{problem} (the change is committed)"] if problem else []
