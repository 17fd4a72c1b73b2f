"""``chrono browse``: the interactive browser (Textual) over the same services as the commands."""

from typing import Annotated

import typer

from chrono_cli.cli.completion import complete_key, complete_table
from chrono_cli.cli.options import ConventionOpt, SinceOpt, clean_text
from chrono_cli.cli.state import CliState


def browse(ctx: typer.Context,
           table: Annotated[str | None, typer.Argument(help="Start at this table's records (else: every table).",
                                                       show_default=False, callback=clean_text,
                                                       autocompletion=complete_table)] = None,
           key: Annotated[str | None, typer.Argument(help="Start at this record's timeline (42, id=42, a=1,b=2).",
                                                     show_default=False, callback=clean_text,
                                                     autocompletion=complete_key)] = None,
           changes: Annotated[bool, typer.Option("--changes", help="Start at the change sets (with --since).")] = False,
           since: SinceOpt = None, convention: ConventionOpt = None,
           read_only: Annotated[bool, typer.Option("--read-only", help="Hide every write key (restore, archive, "
                                                   "unarchive, revert).")] = False) -> None:
    """Browse history interactively: tables, records, a record's timeline, diffs, blame, change sets.

    Keyboard first (? lists the keys of each screen), the mouse works too. r on a version builds the same
    plan as 'chrono restore', a archives and u unarchives, v reverts a change set (V: over later changes,
    as 'revert --force'): each shows the plan and writes nothing until you press y on the confirmation
    screen. --read-only hides every write key. Needs a terminal.

    Example:

        chrono --db examples/demo.sqlite browse
        chrono --db examples/demo.sqlite browse user 42
        chrono browse --changes --since 2h --read-only
    """
    import sys

    from chrono_cli.errors import Refused

    state: CliState = ctx.obj
    if key is not None and table is None or (changes and table is not None):
        raise typer.BadParameter("give TABLE [KEY], or --changes without TABLE", param_hint="TABLE")
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise Refused("chrono browse needs a terminal", hint="use chrono history / diff / changes in scripts")
    from chrono_cli.browse.app import BrowseApp

    ws = state.workspace
    _ = ws.url  # no database given: the one-line error before the screen opens
    BrowseApp(ws, table=table, key=key, convention=convention, changes=changes, since=since,
              read_only=read_only).run()
