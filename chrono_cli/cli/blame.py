"""``chrono blame``: who last set each column of a record."""

from typing import Annotated

import typer

from chrono_cli.cli.completion import complete_columns, complete_version
from chrono_cli.cli.options import AllOpt, ConventionOpt, FormatOpt, KeyArg, TableArg, not_blank
from chrono_cli.cli.state import CliState


def blame(ctx: typer.Context, table: TableArg, key: KeyArg,
          column: Annotated[list[str] | None, typer.Option("--column", "-c", help="Only this column (repeatable, or "
                                                           "comma-separated).", show_default=False,
                                                           autocompletion=complete_columns)] = None,
          version: Annotated[str | None, typer.Option("--version", "-V", help="Blame the record as it was at this "
                                                      "version (number, position pN or 'current').",
                                                      show_default=False, callback=not_blank,
                                                      autocompletion=complete_version)] = None,
          at: Annotated[str | None, typer.Option("--at", help="Blame the record as it was at this time.",
                                                 show_default=False, callback=not_blank)] = None,
          all_columns: AllOpt = False, convention: ConventionOpt = None, fmt: FormatOpt = None) -> None:
    """Show who last set each column of a record, when and why: git blame for a row.

    For every column: its current value, the version that set it (position pN and library version), when,
    who and why, and the value before that. When a version on the way back did not record the column,
    chrono says "not recorded" instead of guessing. A deleted record is blamed as it was before its
    deletion.

    Example:

        chrono blame user 42
        chrono blame user 42 --column email
        chrono blame user 42 --version 3 -f json
    """
    from chrono_cli.services import blame as service

    state: CliState = ctx.obj
    state.emit(service.blame(state.workspace, table, key, columns=",".join(column) if column else None,
                             all_columns=all_columns, version=version, at=at, convention=convention), fmt)
