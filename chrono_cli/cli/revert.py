"""``chrono revert``: undo a whole change set, after a conflict report."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from chrono_cli.cli.completion import complete_changeset
from chrono_cli.cli.options import FormatOpt, RevertWindowOpt
from chrono_cli.cli.state import CliState, note
from chrono_cli.cli.write import ActorOpt, DryRunOpt, PlanOpt, ReasonOpt, SqlOpt, YesOpt, write_plan
from chrono_cli.errors import NothingToWrite, Refused
from chrono_cli.render.formats import OutputFormat, resolve

if TYPE_CHECKING:
    from chrono_cli.model import ResultSet
    from chrono_cli.services.revert import Conflict, Revert


def revert(ctx: typer.Context,
           changeset: Annotated[str, typer.Argument(help="Change set id, as 'chrono changes' prints it (a transaction "
                                                    "id, or @MILLIS for an inferred set).", show_default=False,
                                                    metavar="CHANGESET", autocompletion=complete_changeset)],
           force: Annotated[bool, typer.Option("--force", help="Revert rows that changed again after the change "
                                               "set too, writing over those later changes.")] = False,
           window: RevertWindowOpt = 5.0,
           reason: ReasonOpt = None, actor: ActorOpt = None, yes: YesOpt = False, dry_run: DryRunOpt = False,
           plan: PlanOpt = None, sql: SqlOpt = False, fmt: FormatOpt = None) -> None:
    """Undo a whole change set: every row it touched goes back to its state just before it.

    Updated rows are restored, rows it created are deleted and rows it deleted are re-inserted, each
    with the history rows its versioning library would write (one Continuum transaction for the whole
    revert), in foreign-key order, in one transaction. First a conflict report on stderr: rows changed
    again after the change set (by whom, when) refuse the revert unless --force; rows that cannot be
    written at all (a unique key taken meanwhile, a value that no longer fits) always refuse it (exit 6,
    nothing written). Then the plan, as for 'chrono restore'.

    Example:

        chrono changes --since 2h
        chrono revert 4711 --dry-run
        chrono revert @1763283720000 --reason "undo bad import" --yes
        chrono revert 4711 --force --plan undo.json
    """
    from chrono_cli.services.revert import plan_revert

    state: CliState = ctx.obj
    result = plan_revert(state.workspace, changeset, window=window, force=force, actor=actor, reason=reason)
    _report(result, state)
    cs = result.changeset
    if result.blocked:
        raise Refused(f"change set {cs.id} cannot be reverted: {_rows(len(result.blocked))} cannot be written "
                      "(listed above); nothing written")
    if result.plan is None:
        raise NothingToWrite(f"every row of change set {cs.id} is already as it was before it: nothing to write")
    if sql:
        write_plan(state, result.plan, yes=yes, dry_run=True, plan_file=None, fmt=fmt, sql=True)
        return
    if result.conflicts and not force:
        if dry_run:
            write_plan(state, result.plan, yes=yes, dry_run=True, plan_file=None, fmt=fmt)
        raise Refused(f"revert of change set {cs.id} refused: {_rows(len(result.conflicts), 'later change')} "
                      "would be overwritten (listed above); nothing written",
                      hint="--force reverts anyway, writing over those changes")
    write_plan(state, result.plan, yes=yes, dry_run=dry_run, plan_file=plan, fmt=fmt)


def _rows(n: int, what: str = "row") -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _report(result: Revert, state: CliState) -> None:
    """The change set, its conflicts, the rows that cannot be reverted and those already as before (stderr)."""
    from chrono_cli.render import render

    cs = result.changeset
    kind = "exact" if cs.exact else "inferred"
    when = cs.at.isoformat() if cs.at else "unknown time"
    note(f"change set {cs.id} ({kind}, {when}, by {cs.actor or 'unknown'}): {_rows(len(cs.changes), 'row change')}")
    human = resolve(None, sys.stderr.isatty())
    if human in (OutputFormat.JSON, OutputFormat.JSONL, OutputFormat.CSV):
        human = OutputFormat.PLAIN
    color = human is OutputFormat.TABLE and not state.no_color
    for title, rows in (("conflicts: changed again after the change set", result.conflicts),
                        ("cannot be reverted", result.blocked)):
        if rows:
            render(_table(title, rows), human, sys.stderr, color=color)
            sys.stderr.write("\n")
    for skipped in result.skipped:
        note(f"skipped: {skipped}")
    sys.stderr.flush()


def _table(title: str, rows: tuple[Conflict, ...]) -> ResultSet:
    from chrono_cli.model import ResultSet
    from chrono_cli.services.writeset import key_text

    return ResultSet(("table", "key", "what", "at", "actor"),
                     [[c.table, key_text(c.key), c.message, c.at.isoformat() if c.at else "", c.actor or ""]
                      for c in rows], title=title)
