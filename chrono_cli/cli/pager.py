"""Long output on a terminal goes through $CHRONO_PAGER, else $PAGER (default ``less``), as git and dolt do."""

from __future__ import annotations

import io
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@contextmanager
def paged(newest_last: bool = False) -> Iterator[tuple[TextIO, int]]:
    """A stream and width to render into: stdout, or a buffer that is paged when taller than the terminal.

    ``newest_last``: the output runs oldest to newest, so the pager opens at its end (``less +G``), where the
    newest version is; a pager chrono does not know opens where it always does.
    """
    size = shutil.get_terminal_size()
    command = pager_command()
    if command is None:
        yield sys.stdout, size.columns
        return
    buffer = io.StringIO()
    yield buffer, size.columns
    text = buffer.getvalue()
    if newest_last:
        command = at_end(command)
    if not (rows(text, size.columns) >= size.lines and page(text, command)):
        sys.stdout.write(text)


def rows(text: str, columns: int) -> int:
    """Terminal rows ``text`` takes, long lines wrapping (escape sequences take no room)."""
    plain = _ESCAPES.sub("", text)
    return sum(max(1, -(-len(line) // max(columns, 1))) for line in plain.splitlines())


PAGER_VARIABLES = ("CHRONO_PAGER", "PAGER")  # the first one set wins, as GIT_PAGER does over PAGER


def pager_command() -> str | None:
    """$CHRONO_PAGER, else $PAGER, else less or more; None when paging is off (set empty or to cat) or no pager."""
    for variable in PAGER_VARIABLES:
        command = os.environ.get(variable)
        if command is not None:
            command = command.strip()
            return None if command in ("", "cat") else command
    for candidate in ("less", "more"):
        if shutil.which(candidate):
            return candidate
    return None


def at_end(command: str) -> str:
    """``command`` told to open at the end of its input: ``+G`` for less; other pagers are left as they are."""
    try:
        words = shlex.split(command)
    except ValueError:  # an unbalanced quote: the shell will say so, chrono adds nothing
        return command
    if words and os.path.basename(words[0]) == "less" and "+G" not in words:
        return command + " +G"
    return command


def page(text: str, command: str) -> bool:
    """Show ``text`` through ``command``; False if the pager could not be started."""
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")  # keep colours (R), quit when it fits (F), leave the text on screen (X)
    env.setdefault("LV", "-c")
    try:
        # $PAGER is a shell command line ("less -S"), as git runs it
        proc = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, env=env)
    except OSError:
        return False
    assert proc.stdin is not None
    # Ctrl-C belongs to the pager while it runs (less uses it to stop a search); chrono waits for it.
    previous = _ignore_sigint()
    try:
        try:
            proc.stdin.write(text.encode(sys.stdout.encoding or "utf-8", errors="replace"))
            proc.stdin.close()
        except BrokenPipeError:  # the reader quit before reading everything
            pass
        proc.wait()
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    return proc.returncode != 127  # 127: the shell found no such command; show the text unpaged


def _ignore_sigint() -> Any:
    try:
        return signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        return None
