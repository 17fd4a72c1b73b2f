"""``chrono changes``: change sets across tables, and one change set in full."""

from typing import Annotated, Any

import typer
from typer._click.core import Context as ClickContext

from chrono_cli.cli.command import ChronoCommand, keep_examples
from chrono_cli.cli.completion import complete_changeset, complete_table
from chrono_cli.cli.options import ChangesWindowOpt, FormatOpt, PageOpt, SinceOpt, UntilOpt, clean_text, not_blank
from chrono_cli.cli.state import CliState
from chrono_cli.records import replace


def changes(ctx: typer.Context,
            tables: Annotated[list[str] | None, typer.Argument(help="Tables to look at (default: every versioned "
                                                               "table). 'show ID' prints one change set.",
                                                               show_default=False, metavar="TABLE",
                                                               autocompletion=complete_table)] = None,
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
            verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Repeat advice already given for this "
                                                  "database (an index that would make listing faster).")] = False,
            fmt: FormatOpt = None) -> None:
    """List change sets across tables, newest first: who changed what, when and why.

    Exact where the store records transactions; otherwise inferred (one actor, gaps of at most --window
    seconds) and labelled as inferred. 'chrono changes show ID' prints one change set with its field diffs.
    Advice (a missing index) is given once per database, or every time with -v.

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
    listing = service.list_changes(state.workspace, args, since=since, until=until, actor=actor, limit=limit,
                                   window=window, before=before, column=column, value=value,
                                   show_secrets=state.show_secrets)
    advice = listing.advice if verbose else advice_once(state.workspace.url, listing.advice)
    listing = replace(listing, notes=(*listing.notes, *advice), advice=())
    state.emit(redact.changes(state.config, listing, state.show_secrets), fmt)


def show(ctx: typer.Context,
         changeset: Annotated[str, typer.Argument(help="Change-set id, as 'chrono changes' prints it (a "
                                                  "transaction id, or @MILLISECONDS for an inferred set).",
                                                  show_default=False, metavar="ID",
                                                  autocompletion=complete_changeset, callback=clean_text)],
         window: ChangesWindowOpt = 5.0, fmt: FormatOpt = None) -> None:
    """Print one change set in full: every changed record with its field diffs.

    Example:

        chrono changes show 4711
        chrono changes show @1763283720000
    """
    from chrono_cli.services import changes as service
    from chrono_cli.services import redact

    state: CliState = ctx.obj
    state.emit(redact.changes(state.config, service.show_changeset(state.workspace, changeset, window=window),
                              state.show_secrets), fmt)


ADVICE_FILE = "advice.json"  # {database: [advice already given]}


def advice_once(url: object, advice: tuple[str, ...]) -> tuple[str, ...]:
    """The advice not yet given for this database, remembered as given (all of it when nothing can be stored)."""
    from chrono_cli.cli import userstate

    if not advice:
        return ()
    given = userstate.load(ADVICE_FILE)
    key = userstate.database_key(url)
    stored = given.get(key)
    before: list[Any] = stored if isinstance(stored, list) else []
    new = tuple(a for a in advice if a not in before)
    if new:
        given[key] = [*before, *new]
        userstate.save(ADVICE_FILE, given)
    return new


class ChangesCommand(ChronoCommand):
    """``chrono changes``, whose first argument ``show`` runs the ``changes show`` sub-command (help included).

    Not a click group: ``chrono changes user`` names a table, so tables and ``show`` share the first argument.
    """

    def make_context(self, info_name: str | None, args: list[str], parent: ClickContext | None = None,
                     **extra: Any) -> ClickContext:
        at = self._first_argument(args)
        if at is None or args[at] != "show":
            return super().make_context(info_name, args, parent=parent, **extra)
        # one name of two words, so usage reads "chrono changes show" (not "changes [TABLE]... show")
        return show_command().make_context(f"{info_name} show", args[:at] + args[at + 1:], parent=parent, **extra)

    def _first_argument(self, args: list[str]) -> int | None:
        """Where the first argument that is no option (nor an option's value) is in ``args``."""
        valued = {name for p in self.params if p.param_type_name == "option" and not getattr(p, "is_flag", False)
                  for name in (*p.opts, *p.secondary_opts)}
        i = 0
        while i < len(args):
            if args[i] == "--":
                return i + 1 if i + 1 < len(args) else None
            if not args[i].startswith("-") or args[i] == "-":
                return i
            i += 2 if args[i] in valued else 1
        return None

    def invoke(self, ctx: ClickContext) -> Any:
        if ctx.command is not self:  # the context make_context built for `changes show`
            return ctx.command.invoke(ctx)
        return super().invoke(ctx)


def show_command() -> ChronoCommand:
    """The ``changes show`` command, built from :func:`show` as typer builds every command."""
    from typer.main import get_command_from_info
    from typer.models import CommandInfo

    command = get_command_from_info(CommandInfo(name="show", cls=ChronoCommand, callback=show),
                                    pretty_exceptions_short=True, rich_markup_mode=None)
    assert isinstance(command, ChronoCommand)
    command.help = keep_examples(command.help or "")
    return command
