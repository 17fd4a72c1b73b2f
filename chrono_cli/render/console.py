"""The rich console chrono prints its output through."""

from __future__ import annotations

import errno
from typing import Any, TextIO

from rich.console import Console


class _OutputConsole(Console):
    def on_broken_pipe(self) -> None:
        """rich's own exits with status 1; the command line turns a closed pipe into its quiet 141 instead."""
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")


def output_console(out: TextIO, *, color: bool, width: int | None, **options: Any) -> Console:
    """A console writing to ``out``: colours only when asked, no highlighting of its own."""
    return _OutputConsole(file=out, no_color=not color, force_terminal=color, width=width, highlight=False,
                          **options)
