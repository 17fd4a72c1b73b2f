"""Read commands: tables, history, show, diff."""

from typing import Annotated

import typer

from chrono_cli.cli.completion import complete_version
from chrono_cli.cli.options import (
    AllOpt,
    ColumnsOpt,
    ConventionOpt,
    FormatOpt,
    HistoryLimitOpt,
    KeyArg,
    SinceOpt,
    TableArg,
    UntilOpt,
    not_blank,
)
from chrono_cli.cli.state import CliState


def history(ctx: typer.Context, table: TableArg, key: KeyArg, since: SinceOpt = None, until: UntilOpt = None,
            limit: HistoryLimitOpt = None,
            reverse: Annotated[bool, typer.Option("--reverse", "-r", help="Newest first.")] = False,
            columns: ColumnsOpt = None, all_columns: AllOpt = False, convention: ConventionOpt = None,
            fmt: FormatOpt = None) -> None:
    """Show a record's timeline: every version, who changed what, when and why.

    Oldest first: position (p1, p2, ...: what --version and diff take), the library's own version
    number, operation, when the version was valid (from/to), actor, reason, and the changed fields as
    old → new. Columns the history does not record are never guessed. With --columns, only the
    versions that changed those columns are listed (like git log -- PATH).

    Example:

        chrono history user 42
        chrono history user 42 --since 2026-11-01 --reverse
        chrono -f json history user 42 | jq '.versions[-1]'
    """
    from chrono_cli.services import read

    state: CliState = ctx.obj
    if since is None and until is None and limit is None and columns is None and not reverse:
        # printed while it is read: the first screen shows before the rest of a long history is read
        with read.history_stream(state.workspace, table, key, convention=convention, all_columns=all_columns) as ts:
            state.emit(ts, fmt)
        return
    tl = read.history(state.workspace, table, key, convention=convention, since=since, until=until, limit=limit,
                      columns=columns, all_columns=all_columns)
    if reverse:
        from chrono_cli.records import replace

        tl = replace(tl, versions=tuple(reversed(tl.versions)))
    state.emit(tl, fmt)


def show(ctx: typer.Context, table: TableArg, key: KeyArg,
         version: Annotated[str | None, typer.Option("--version", "-V", help="Library version number, position "
                                                     "pN (p-1 = last), 'current' or a time.", show_default=False,
                                                     callback=not_blank, autocompletion=complete_version)] = None,
         at: Annotated[str | None, typer.Option("--at", help="The state valid at this time (ISO-8601 or 2h, 3d ago).",
                                                show_default=False, callback=not_blank)] = None,
         columns: ColumnsOpt = None, all_columns: AllOpt = False, convention: ConventionOpt = None,
         fmt: FormatOpt = None) -> None:
    """Show the whole record as it was at a version or a time (default: now).

    A deleted record shows the state its deletion removed. Columns the history did not record are
    listed as "not recorded".

    Example:

        chrono show user 42 --version 3
        chrono show user 42 --at 2026-11-20T09:00Z
        chrono show user 42 --version p-2
    """
    from chrono_cli.services import read

    state: CliState = ctx.obj
    state.emit(read.show(state.workspace, table, key, version=version, at=at, convention=convention,
                         columns=columns, all_columns=all_columns), fmt)


def diff(ctx: typer.Context, table: TableArg, key: KeyArg,
         old: Annotated[str | None, typer.Argument(metavar="FROM", help="From: version number, position pN or time "
                                                   "(default: the version before TO).", show_default=False,
                                                   autocompletion=complete_version)] = None,
         new: Annotated[str | None, typer.Argument(help="To: version number, position pN or time (default: current).",
                                                   show_default=False, metavar="TO",
                                                   autocompletion=complete_version)] = None,
         all_columns: Annotated[bool, typer.Option("--all", help="Show unchanged columns too.")] = False,
         convention: ConventionOpt = None, fmt: FormatOpt = None) -> None:
    """Show the fields that differ between two versions of a record.

    With no versions: the previous version against the current one. Old values in red, new in green.

    Example:

        chrono diff user 42
        chrono diff user 42 2 5
        chrono diff user 42 p1 p-1
        chrono diff user 42 2026-11-01 now --all
    """
    from chrono_cli.services import read

    state: CliState = ctx.obj
    state.emit(read.diff(state.workspace, table, key, old, new, convention=convention, show_all=all_columns), fmt)


def tables(ctx: typer.Context,
           counts: Annotated[bool, typer.Option("--counts", help="Add row and history-row counts.")] = False,
           explain: Annotated[bool, typer.Option("--explain", help="Show the evidence behind each detection.")] = False,
           fmt: FormatOpt = None) -> None:
    """List every table with a detected history or archive convention.

    For each: the base table, its convention(s), where its history lives, its key and archive column.

    Example:

        chrono tables
        chrono tables --counts
        chrono tables --explain -f json
    """
    from chrono_cli.cli.progress import progress_bar
    from chrono_cli.services import catalog

    state: CliState = ctx.obj
    with progress_bar() as progress:
        result = catalog.list_tables(state.workspace, counts=counts, explain=explain, progress=progress)
    state.emit(result, fmt)
