"""The Typer application: global options, error translation, command registration."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from typer._click.exceptions import UsageError as ClickUsageError  # what typer.core raises and catches
from typer.core import TyperGroup

from chrono_cli import __version__
from chrono_cli.cli import blame, read
from chrono_cli.cli.state import CliState, err_console
from chrono_cli.errors import ChronoError, ExitCode
from chrono_cli.render.formats import OutputFormat


class ChronoGroup(TyperGroup):
    """Translates every ChronoError into a one-line message and its exit code (tracebacks with --debug)."""

    def resolve_command(self, ctx: typer.Context, args: list[str]) -> Any:
        """A mistyped command suggests the commands it is a prefix of, or the closest ones."""
        try:
            return super().resolve_command(ctx, args)
        except ClickUsageError as exc:
            typo = args[0] if args else ""
            prefixed = [name for name in self.list_commands(ctx) if typo and name.startswith(typo)]
            if prefixed and "Did you mean" not in exc.message:
                exc.message = exc.message.rstrip(".") + f". Did you mean {', '.join(map(repr, prefixed))}?"
            raise

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ChronoError as exc:
            if isinstance(ctx.obj, CliState) and ctx.obj.debug:
                raise
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}")
            if exc.hint:
                err_console.print(f"[dim]hint: {escape(exc.hint)}[/]")
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            err_console.print("[dim]interrupted[/]")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None


app = typer.Typer(cls=ChronoGroup, no_args_is_help=True, pretty_exceptions_show_locals=False,
                  rich_markup_mode=None, context_settings={"help_option_names": ["-h", "--help"]},
                  help="Inspect, diff and roll back record versions written by SQL versioning libraries.")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"chrono {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option("--db", help="Database URL or SQLite file path "
                                           "(else $CHRONO_DATABASE_URL, $DATABASE_URL, config).",
                                           show_default=False)] = None,
    schema: Annotated[list[str] | None, typer.Option("--schema", help="Schema to look in (repeatable; default: the "
                                                     "search path plus schemas holding history stores).",
                                                     show_default=False)] = None,
    fmt: Annotated[OutputFormat | None, typer.Option("--format", "-f", help="Output format for every command.",
                                                     show_default=False)] = None,
    config: Annotated[str | None, typer.Option("--config", help="Config file (default: ./chrono.toml or "
                                               "[tool.chrono] in ./pyproject.toml).", show_default=False)] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="Never colour output (NO_COLOR is honoured too).")] = False,
    no_pager: Annotated[bool, typer.Option("--no-pager", help="Never page long output (else $PAGER or less, "
                                           "on a terminal only).")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Inspect, diff and roll back record versions written by SQL versioning libraries."""
    state = CliState(url=db, schemas=tuple(schema or ()), fmt=fmt.value if fmt else None, config_path=config,
                     debug=debug, no_color=no_color, no_pager=no_pager)
    if no_color:
        err_console.no_color = True
    ctx.obj = state
    ctx.call_on_close(state.close)


app.command()(read.tables)
app.command()(read.history)
app.command()(read.show)
app.command()(read.diff)
app.command()(blame.blame)


def main() -> None:
    """Console-script entry point; Ctrl-C anywhere exits 130 without a traceback."""
    try:
        app(prog_name="chrono")
    except KeyboardInterrupt:
        err_console.print("[dim]interrupted[/]")
        raise SystemExit(int(ExitCode.INTERRUPTED)) from None
