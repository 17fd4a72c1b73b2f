"""List commands: rows that are hidden or gone (archived, deleted), and the conventions chrono knows."""

import typer

from chrono_cli.cli.options import ConventionOpt, FormatOpt, LimitOpt, TableArg
from chrono_cli.cli.state import CliState


def archived(ctx: typer.Context, table: TableArg, limit: LimitOpt = None, convention: ConventionOpt = None,
             fmt: FormatOpt = None) -> None:
    """List the rows currently archived: their last state, and when and by whom where the history says so.

    Example:

        chrono archived user
        chrono archived article -f json
    """
    from chrono_cli.services import listing

    state: CliState = ctx.obj
    state.emit(listing.archived(state.workspace, table, limit=limit, convention=convention), fmt)


def deleted(ctx: typer.Context, table: TableArg, limit: LimitOpt = None, convention: ConventionOpt = None,
            fmt: FormatOpt = None) -> None:
    """List the rows the history knows but the table no longer has: last state, when, who.

    Undelete one with 'chrono restore TABLE KEY'.

    Example:

        chrono deleted user
        chrono deleted user -n 20 -f json
    """
    from chrono_cli.services import listing

    state: CliState = ctx.obj
    state.emit(listing.deleted(state.workspace, table, limit=limit, convention=convention), fmt)


def conventions(ctx: typer.Context, fmt: FormatOpt = None) -> None:
    """List every convention chrono knows: built-in and from plugins, with shape, source and capabilities.

    Plugins register conventions through the entry-point group 'chrono.conventions' (README: Writing a
    convention). A plugin that cannot be loaded is named on stderr and skipped. Needs no database.

    Example:

        chrono conventions
        chrono conventions -f json | jq '.conventions[].name'
    """
    from chrono_cli.services.installed import list_conventions

    state: CliState = ctx.obj
    state.emit(list_conventions(), fmt)
