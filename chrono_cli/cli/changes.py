"""``chrono changes``: change sets across tables, and one change set in full."""

from __future__ import annotations

from typing import Annotated

import typer

from chrono_cli.cli.options import ChangesWindowOpt, FormatOpt, PageOpt, SinceOpt, UntilOpt, clean_text, not_blank
from chrono_cli.cli.state import CliState


def changes(ctx: typer.Context,
            tables: Annotated[list[str] | None, typer.Argument(help="Tables to look at (default: every versioned "
                                                               "table). 'show ID' prints one change set.",
                                                               show_default=False, metavar="TABLE")] = None,
            since: SinceOpt = None, until: UntilOpt = None,
            actor: Annotated[str | None, typer.Option("--actor", help="Only change sets by this actor (name, any "
                                                      "case, or user id).",
                                                      show_default=False, callback=clean_text)] = None,
            limit: PageOpt = 20, window: ChangesWindowOpt = 5.0,
            before: Annotated[str | None, typer.Option("--before", help="Continue a listing: the cursor a page "
                                                       "printed ('more: ...'), or a time (only change sets older "
                                                       "than it).",
                                                       show_default=False, callback=not_blank)] = None,
            column: Annotated[str | None, typer.Option("--column", help="With --value: only the changes that set "
                                                       "or cleared VALUE in this column (a pickaxe).",
                                                       show_default=False, callback=not_blank)] = None,
            value: Annotated[str | None, typer.Option("--value", help="The value --column looks for, typed "
                                                      "through the column's type.", show_default=False)] = None,
            fmt: FormatOpt = None) -> None:
    """List change sets across tables, newest first: who changed what, when and why.

    Exact where the store records transactions; otherwise inferred (one actor, gaps of at most --window
    seconds) and labelled as inferred. 'chrono changes show ID' prints one change set with its field diffs.

    Example:

        chrono changes --since 2h
        chrono changes user --actor alice@example.com --since 2026-11-01 --until 2026-11-02
        chrono changes user --column plan --value team
        chrono changes show @1763283720000
    """
    from chrono_cli.services import changes as service
    from chrono_cli.services import redact

    state: CliState = ctx.obj
    args = list(tables or [])
    if args[:1] == ["show"]:
        if len(args) != 2:
            raise typer.BadParameter("usage: chrono changes show ID", param_hint="ID")
        state.emit(redact.changes(state.config, service.show_changeset(state.workspace, args[1], window=window),
                                  state.show_secrets), fmt)
        return
    listing = service.list_changes(state.workspace, args, since=since, until=until, actor=actor, limit=limit,
                                   window=window, before=before, column=column, value=value,
                                   show_secrets=state.show_secrets)
    state.emit(redact.changes(state.config, listing, state.show_secrets), fmt)
