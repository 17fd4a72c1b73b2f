"""Long output on a terminal goes through $CHRONO_PAGER, else $PAGER (default ``less``), as git and dolt do.

Output is held until it is taller than the terminal; then the pager starts, gets what was held and everything
written after it as it is written, so the first screen of a long history shows before the rest is read.
"""

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
from contextlib import contextmanager, suppress
from typing import Any, TextIO, cast

_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class PagerClosed(Exception):
    """The person quit the pager before reading everything: nothing more needs to be written."""


@contextmanager
def paged(newest_last: bool = False) -> Iterator[tuple[TextIO, int, int]]:
    """A stream, width and height to render into: stdout, or a stream that starts the pager once the text is
    taller than the terminal.

    ``newest_last``: the output runs oldest to newest, so the pager opens at its end (``less +G``), where the
    newest version is; a pager chrono does not know opens where it always does.
    """
    size = shutil.get_terminal_size()
    command = pager_command()
    if command is None:
        yield sys.stdout, size.columns, size.lines
        return
    stream = PagerStream(at_end(command) if newest_last else command, size.columns, size.lines)
    try:
        yield cast(TextIO, stream), size.columns, size.lines
    except PagerClosed:
        pass
    finally:
        stream.finish()


class PagerStream(io.TextIOBase):
    """Text for the terminal: held while it fits on one screen, then streamed to the pager."""

    def __init__(self, command: str, columns: int, lines: int) -> None:
        super().__init__()
        self.command, self.columns, self.lines = command, columns, lines
        self.held: io.StringIO | None = io.StringIO()  # None once the text goes to the pager (or to stdout)
        self.proc: subprocess.Popen[bytes] | None = None
        self.previous_sigint: Any = None

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return sys.stdout.encoding or "utf-8"

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if self.held is None:
            self._send(text)
        else:
            self.held.write(text)
            if "\n" in text and rows(self.held.getvalue(), self.columns) >= self.lines:
                self._start()
        return len(text)

    def flush(self) -> None:
        if self.held is None and self.proc is None:
            sys.stdout.flush()

    def finish(self) -> None:
        """Show what was held (it fits on the screen), or let the pager end: chrono waits for it."""
        if self.held is not None:
            sys.stdout.write(self.held.getvalue())
            sys.stdout.flush()
            self.held = None
            return
        if self.proc is None:
            return
        assert self.proc.stdin is not None
        with suppress(BrokenPipeError, OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait()
        finally:
            if self.previous_sigint is not None:
                signal.signal(signal.SIGINT, self.previous_sigint)

    def _start(self) -> None:
        assert self.held is not None
        text, self.held = self.held.getvalue(), None
        env = dict(os.environ)
        env.setdefault("LESS", "FRX")  # keep colours (R), quit when it fits (F), leave the text on screen (X)
        env.setdefault("LV", "-c")
        try:
            # $PAGER is a shell command line ("less -S"), as git runs it
            self.proc = subprocess.Popen(self.command, shell=True, stdin=subprocess.PIPE, env=env)
        except OSError:
            self.proc = None
        if self.proc is None:
            sys.stdout.write(text)
            return
        # Ctrl-C belongs to the pager while it runs (less uses it to stop a search); chrono waits for it.
        self.previous_sigint = _ignore_sigint()
        self._send(text)

    def _send(self, text: str) -> None:
        if self.proc is None:
            sys.stdout.write(text)
            return
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(text.encode(self.encoding, errors="replace"))
        except BrokenPipeError:  # the reader quit before reading everything
            raise PagerClosed from None


def rows(text: str, columns: int) -> int:
    """Terminal rows ``text`` takes, long lines wrapping (escape sequences take no room)."""
    plain = _ESCAPES.sub("", text)
    return sum(max(1, -(-len(line) // max(columns, 1))) for line in plain.splitlines())


PAGER_VARIABLES = ("CHRONO_PAGER", "PAGER")  # the first one set wins, as GIT_PAGER does over PAGER


def pager_command() -> str | None:
    """$CHRONO_PAGER, else $PAGER, else less or more; None when paging is off (set empty or to cat) or its program
    does not exist."""
    for variable in PAGER_VARIABLES:
        command = os.environ.get(variable)
        if command is not None:
            command = command.strip()
            if command in ("", "cat"):
                return None
            try:
                program = shlex.split(command)[0]
            except (ValueError, IndexError):
                return None
            return command if shutil.which(program) else None
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


def _ignore_sigint() -> Any:
    try:
        return signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        return None
