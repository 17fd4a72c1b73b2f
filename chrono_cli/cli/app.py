"""The Typer application: global options, error translation, command registration."""

import errno
import importlib
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer._click.core import Context as ClickContext
from typer._click.exceptions import ClickException, NoArgsIsHelpError
from typer._click.exceptions import UsageError as ClickUsageError  # what typer.core raises and catches
from typer.core import TyperGroup

from chrono_cli.cli.coerce import install as install_coercion
from chrono_cli.cli.command import ChronoCommand, keep_examples, usage_lines
from chrono_cli.cli.options import clean_text
from chrono_cli.cli.state import CliState, err_console
from chrono_cli.errors import ChronoError, ExitCode
from chrono_cli.render.formats import OutputFormat

if TYPE_CHECKING:
    from chrono_cli.render.display import Display


class ChronoGroup(TyperGroup):
    """Translates every ChronoError into a one-line message and its exit code (tracebacks with --debug)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for command in self.commands.values():
            if command.help:
                command.help = keep_examples(command.help)

    def format_commands(self, ctx: ClickContext, formatter: Any) -> None:
        """The commands under one heading per panel (Read, Write, CI, Setup), in the order they were added."""
        panels: dict[str, list[tuple[str, Any]]] = {}
        for name in self.commands:  # registration order, not alphabetical: the order people learn them in
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                panels.setdefault(getattr(command, "rich_help_panel", None) or "Commands", []).append((name, command))
        if not panels:
            return
        limit = formatter.width - 6 - max(len(name) for rows in panels.values() for name, _ in rows)
        for panel, rows in panels.items():
            with formatter.section(f"{panel} commands"):
                formatter.write_dl([(name, command.get_short_help_str(limit)) for name, command in rows])

    def get_params(self, ctx: ClickContext) -> list[Any]:
        return install_coercion(super().get_params(ctx))

    def resolve_command(self, ctx: ClickContext, args: list[str]) -> Any:
        """A mistyped command suggests the commands it is a prefix of, or the closest ones."""
        try:
            return super().resolve_command(ctx, args)
        except ClickUsageError as exc:
            typo = args[0] if args else ""
            prefixed = [name for name in self.list_commands(ctx) if typo and name.startswith(typo)]
            if prefixed and "Did you mean" not in exc.message:
                exc.message = exc.message.rstrip(".") + f". Did you mean {', '.join(map(repr, prefixed))}?"
            raise

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,  # type: ignore[override]
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        """Run chrono; click's usage errors become one ``error:`` line and a ``hint:``, exit 2, no usage block."""
        try:
            if standalone_mode and sys.stdout is None:  # started with stdout closed (`>&-`): refuse before anything
                raise OSError(errno.EBADF, "standard output is closed")
            rv = super().main(args=args, prog_name=prog_name, complete_var=complete_var, standalone_mode=False,
                              **extra)
            if standalone_mode:
                sys.stdout.flush()  # --help and --version print while the arguments are parsed, before ``invoke``
        except OSError as exc:  # writing --help or --version
            if not standalone_mode or exc.errno not in _OUTPUT_ERRORS:
                raise
            sys.exit(_output_failed(exc))
        except NoArgsIsHelpError as exc:  # a bare `chrono` prints its help
            if not standalone_mode:
                raise
            exc.show()
            sys.exit(exc.exit_code)
        except ClickException as exc:
            if not standalone_mode:
                raise
            _say(*usage_lines(exc))
            sys.exit(exc.exit_code)
        except typer.Abort:
            if not standalone_mode:
                raise
            _say("aborted", None)
            sys.exit(int(ExitCode.ERROR))
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)

    def make_context(self, info_name: str | None, args: list[str], parent: ClickContext | None = None,
                     **extra: Any) -> ClickContext:
        """Parse the global options; --help and --version print here (click would exit 1 on a closed pipe)."""
        try:
            return super().make_context(info_name, args, parent, **extra)
        except OSError as exc:
            if exc.errno not in _OUTPUT_ERRORS:
                raise
            raise typer.Exit(_output_failed(exc)) from None

    def invoke(self, ctx: ClickContext) -> Any:
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # so a full disk or a closed pipe is reported here, not at interpreter exit
            return result
        except ChronoError as exc:
            if isinstance(ctx.obj, CliState) and ctx.obj.debug:
                raise
            _fail(str(exc), exc.hint, int(exc.exit_code))
        except KeyboardInterrupt:
            err_console.print("[dim]interrupted[/]")
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except OSError as exc:
            if exc.errno not in _OUTPUT_ERRORS or isinstance(ctx.obj, CliState) and ctx.obj.debug:
                raise
            raise typer.Exit(_output_failed(exc)) from None


_OUTPUT_ERRORS = (errno.EPIPE, errno.ENOSPC, errno.EBADF, errno.EIO, errno.EFBIG, errno.EDQUOT)


def _output_failed(exc: OSError) -> int:
    """Standard output cannot be written: one error line (none where the reader went away, `| head`, quiet like a
    process killed by SIGPIPE); the exit code."""
    _silence_stdout()
    if exc.errno == errno.EPIPE:
        return int(ExitCode.BROKEN_PIPE)
    _say(f"cannot write output: {exc.strerror or exc}", None)
    return int(ExitCode.ERROR)


def _say(message: str, hint: str | None) -> None:
    from rich.markup import escape

    try:
        err_console.print(f"[bold red]error:[/] {escape(message)}")
        if hint:
            err_console.print(f"[dim]hint: {escape(hint)}[/]")
    except OSError:
        pass  # stderr is full or gone too: the exit code is all that is left to tell


def _fail(message: str, hint: str | None, code: int) -> NoReturn:
    _say(message, hint)
    raise typer.Exit(code)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again ("Exception ignored")."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (CliRunner) or already gone
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _typer() -> typer.Typer:
    return typer.Typer(cls=ChronoGroup, no_args_is_help=True, pretty_exceptions_show_locals=False,
                       rich_markup_mode=None, context_settings={"help_option_names": ["-h", "--help"]},
                       help="Inspect, diff and roll back record versions written by SQL versioning libraries.")


def display_option(tz: str | None, relative: bool, show_secrets: bool = False) -> "Display":
    """--tz (else a zone name in $TZ, else UTC) and --relative; an unknown --tz is a usage error."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from chrono_cli.render.display import Display

    name = tz or os.environ.get("TZ", "").lstrip(":") or "UTC"
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if tz is None:  # a $TZ Python cannot read (POSIX rules): UTC, as before
            return Display(relative=relative, show_secrets=show_secrets)
        raise typer.BadParameter(f"unknown time zone {tz!r}", param_hint="--tz") from None
    return Display(zone, name, relative, show_secrets=show_secrets)


def _version(value: bool) -> None:
    if value:
        import chrono_cli

        typer.echo(f"chrono {chrono_cli.__version__}")
        raise typer.Exit()


def main_options(
    ctx: typer.Context,
    db: Annotated[str | None, typer.Option("--db", help="Database URL or SQLite file path "
                                           "(else $CHRONO_DATABASE_URL, $DATABASE_URL, config).",
                                           show_default=False, metavar="URL")] = None,
    schema: Annotated[list[str] | None, typer.Option("--schema", help="Schema to look in (repeatable; default: the "
                                                     "search path plus schemas holding history stores).",
                                                     show_default=False, callback=clean_text, metavar="SCHEMA")] = None,
    fmt: Annotated[OutputFormat | None, typer.Option("--format", "-f", help="Output format for every command.",
                                                     show_default=False)] = None,
    config: Annotated[str | None, typer.Option("--config", help="Config file (default: ./chrono.toml or "
                                               "[tool.chrono] in ./pyproject.toml).", show_default=False,
                                               metavar="FILE")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    no_color: Annotated[bool, typer.Option("--no-color",
                                           help="Never colour output (NO_COLOR is honoured too).")] = False,
    no_pager: Annotated[bool, typer.Option("--no-pager", help="Never page long output (else $CHRONO_PAGER, $PAGER "
                                           "or less, on a terminal only).")] = False,
    tz: Annotated[str | None, typer.Option("--tz", help="Show times in this zone (Europe/Berlin, UTC; else $TZ, "
                                           "else UTC).", show_default=False, metavar="ZONE")] = None,
    relative: Annotated[bool, typer.Option("--relative", help="Show times as '3 hours ago'.")] = False,
    show_secrets: Annotated[bool, typer.Option("--show-secrets", help="Show the values of columns named like "
                                               "password, token, secret or api_key, and of [tables.X] redact.")]
    = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Inspect, diff and roll back record versions written by SQL versioning libraries."""
    if fmt is None and os.environ.get("CHRONO_FORMAT"):
        try:
            fmt = OutputFormat(os.environ["CHRONO_FORMAT"])
        except ValueError:
            choices = ", ".join(repr(f.value) for f in OutputFormat)
            raise typer.BadParameter(f"{os.environ['CHRONO_FORMAT']!r} is not one of {choices}",
                                     param_hint="CHRONO_FORMAT") from None
    state = CliState(url=db, schemas=tuple(schema or ()), fmt=fmt.value if fmt else None, config_path=config,
                     debug=debug, no_color=no_color, no_pager=no_pager, show_secrets=show_secrets,
                     display=display_option(tz, relative, show_secrets))
    err_console.no_color = no_color or "NO_COLOR" in os.environ  # per invocation: stderr honours both too
    ctx.obj = state
    ctx.call_on_close(state.close)


# `chrono --help` lists the commands under these headings, in this order
READ, WRITE, CI, SETUP = "Read", "Write", "CI", "Setup"
COMMANDS: dict[str, tuple[str, str]] = {  # name: (its panel, "module:function[:command class]" in chrono_cli.cli)
    "tables": (READ, "read:tables"), "history": (READ, "read:history"), "show": (READ, "read:show"),
    "diff": (READ, "read:diff"), "blame": (READ, "blame:blame"), "changes": (READ, "changes:changes:ChangesCommand"),
    "archived": (READ, "lists:archived"), "deleted": (READ, "lists:deleted"), "report": (READ, "report:report"),
    "browse": (READ, "browse:browse"), "restore": (WRITE, "write:restore"), "archive": (WRITE, "write:archive"),
    "unarchive": (WRITE, "write:unarchive"), "revert": (WRITE, "revert:revert"), "apply": (WRITE, "write:apply"),
    "check-migrations": (CI, "check:check_migrations"), "conventions": (SETUP, "lists:conventions")}


def _register(target: typer.Typer, names: Sequence[str]) -> typer.Typer:
    """``target`` with the global options and the commands ``names``, each command's module imported only here (a
    read imports none of the write commands' modules)."""
    target.callback()(main_options)
    for name in names:
        panel, path = COMMANDS[name]
        module_name, function, *command_class = path.split(":")
        module = importlib.import_module(f"chrono_cli.cli.{module_name}")
        cls = getattr(module, command_class[0]) if command_class else ChronoCommand
        target.command(name, cls=cls, rich_help_panel=panel)(getattr(module, function))
    return target


_full: typer.Typer | None = None


def full_app() -> typer.Typer:
    """The application with every command (help, completion, the tests), each command's module imported."""
    global _full
    if _full is None:
        _full = _register(_typer(), list(COMMANDS))
    return _full


def __getattr__(name: str) -> typer.Typer:
    """``app``: the whole application, built on first use (a command run builds only itself, see ``app_for``)."""
    if name == "app":
        return full_app()
    raise AttributeError(name)

# global options that take a value (the command is the first word after the global options)
_VALUED = ("--db", "--schema", "--format", "-f", "--config", "--tz")


def _command_word(args: Sequence[str]) -> str | None:
    """The command ``args`` run, when the global options before it are all well-formed; else None."""
    at = 0
    while at < len(args):
        arg = args[at]
        if not arg.startswith("-"):
            return arg
        if arg in _VALUED:
            at += 1
        elif arg in ("-h", "--help", "--", "--version") or arg.startswith("-") and not arg.startswith("--") \
                and not arg.startswith("-f"):
            return None
        at += 1
    return None


def app_for(args: Sequence[str]) -> typer.Typer:
    """The application with only the command ``args`` run (building every command's options costs as much as
    running a read); the whole application for help, completion, a mistyped command or anything unusual."""
    if list(args) == ["--version"]:
        return _register(_typer(), [])  # the global options alone answer it
    name = _command_word(args)
    if name not in COMMANDS or any(k.endswith("_COMPLETE") for k in os.environ if k.startswith("_CHRONO")):
        return full_app()
    return _register(_typer(), [name])


def main() -> None:
    """The command line run in this process (the console script starts it through ``cli/launch.py``)."""
    run(app_for(sys.argv[1:]))


def run(application: typer.Typer) -> None:
    """Run ``application`` on ``sys.argv``; Ctrl-C anywhere exits 130 without a traceback."""
    try:
        application(prog_name="chrono")
    except KeyboardInterrupt:
        err_console.print("[dim]interrupted[/]")
        raise SystemExit(int(ExitCode.INTERRUPTED)) from None
