"""Per-invocation state: global options, the config, and a lazily opened workspace."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from chrono_cli.records import Struct, field

if TYPE_CHECKING:
    from rich.console import Console

    from chrono_cli.config import Config
    from chrono_cli.render.display import Display
    from chrono_cli.services.workspace import Workspace



class StderrConsole:
    """rich's Console on stderr, built when something is first printed: importing rich costs more CPU than
    `chrono --help` has, and most commands print nothing on stderr. Attributes set before that are applied then."""

    def __init__(self) -> None:
        object.__setattr__(self, "_console", None)
        object.__setattr__(self, "_pending", {})

    @property
    def real(self) -> Console:
        """The Console itself (for rich objects that take a console)."""
        console: Console | None = object.__getattribute__(self, "_console")
        if console is None:
            from rich.console import Console

            console = Console(stderr=True, highlight=False, soft_wrap=True)
            for name, value in object.__getattribute__(self, "_pending").items():
                setattr(console, name, value)
            object.__setattr__(self, "_console", console)
        return console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def __setattr__(self, name: str, value: Any) -> None:
        console = object.__getattribute__(self, "_console")
        if console is None:
            object.__getattribute__(self, "_pending")[name] = value
        else:
            setattr(console, name, value)


err_console = StderrConsole()


class CliState(Struct):
    """What the global options said; nothing connects until a command asks."""

    url: str | None = None
    schemas: tuple[str, ...] = ()
    fmt: str | None = None
    config_path: str | None = None
    debug: bool = False
    no_color: bool = False
    no_pager: bool = False
    show_secrets: bool = False
    display: Display = field(default_factory=lambda: _default_display())
    _config: Config | None = None
    _workspace: Workspace | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            from chrono_cli.config import load
            from chrono_cli.errors import ConfigError

            try:
                self._config = load(self.config_path)
            except OSError as exc:  # a name too long, a directory, no permission
                raise ConfigError(f"cannot read config {self.config_path}: {exc.strerror or exc}") from None
        return self._config

    @property
    def workspace(self) -> Workspace:
        if self._workspace is None:
            from chrono_cli.conventions.registry import set_reporter
            from chrono_cli.services.workspace import Settings, Workspace

            set_reporter(warn)  # a plugin that cannot be loaded: one line, then chrono goes on without it

            self._workspace = Workspace(Settings(self.url, self.schemas, self.config, self.show_secrets))
        return self._workspace

    def close(self) -> None:
        if self._workspace is not None:
            self._workspace.close()

    def color(self) -> bool:
        """Colour only on a terminal, and never with NO_COLOR or --no-color."""
        return sys.stdout.isatty() and not self.no_color and "NO_COLOR" not in os.environ

    def emit(self, result: object, fmt: str | None = None) -> None:
        """Render a result on stdout in the chosen format."""
        from chrono_cli.render import render
        from chrono_cli.render.formats import resolve

        tty = sys.stdout.isatty()
        chosen = resolve(fmt or self.fmt or os.environ.get("CHRONO_FORMAT"), tty)
        if not tty or self.no_pager:
            import shutil

            height = shutil.get_terminal_size().lines if tty else None
            render(result, chosen, sys.stdout, color=self.color(), err=sys.stderr, display=self.display,
                   height=height)
            return
        import io

        from chrono_cli.cli.pager import paged

        notes = io.StringIO()  # notes and hints (more: ...) follow the table, after the pager closes
        try:
            with paged(newest_last=_newest_last(result)) as (out, width, height):
                render(result, chosen, out, color=self.color(), width=width, err=notes, display=self.display,
                       height=height)
        finally:
            sys.stderr.write(notes.getvalue())


def _newest_last(result: object) -> bool:
    """Whether ``result`` is a timeline listed oldest first (``history`` without --reverse; a streamed history
    always comes oldest first)."""
    from chrono_cli.model import Timeline, TimelineStream

    if isinstance(result, TimelineStream):
        return True
    versions = result.versions if isinstance(result, Timeline) else ()
    return len(versions) > 1 and versions[-1].seq > versions[0].seq


def _default_display() -> Display:
    from chrono_cli.render.display import Display

    return Display()


def note(message: str) -> None:
    """A message for the person (stderr), never mixed with data."""
    err_console.print(f"[dim]{message}[/]", markup=True, highlight=False)


def warn(message: str) -> None:
    """A warning line on stderr."""
    from rich.markup import escape

    err_console.print(f"[yellow]warning:[/] {escape(message)}", markup=True, highlight=False)
