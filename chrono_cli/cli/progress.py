"""A rich progress bar on stderr for long work, shown only when stderr is a terminal (never on a pipe)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from chrono_cli.cli.state import err_console

Progress = Callable[[str, int, int], None]  # (stage, done, total); total 0 = unknown


@contextmanager
def progress_bar(first_stage: str = "reading the catalog") -> Iterator[Progress | None]:
    """Yields an update function, or None off a terminal (services then report nothing)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err_console.real,
                  transient=True) as bar:
        task = bar.add_task(first_stage, total=None)

        def update(stage: str, done: int, total: int) -> None:
            bar.update(task, description=stage, completed=done, total=total or None)

        yield update
