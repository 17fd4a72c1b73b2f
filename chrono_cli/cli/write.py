"""Write commands: restore, archive, unarchive, apply.

Every write shows its plan first: the row diff and the SQL. The plan goes to stderr when chrono is about to
write (stdout then gets the outcome: a summary table, or the applied plan with -f json), and to stdout
with --dry-run or --plan FILE, where the plan is the result. On a terminal chrono asks before writing;
elsewhere it needs --yes.
"""

import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from chrono_cli.cli.completion import complete_columns, complete_key, complete_version
from chrono_cli.cli.options import ConventionOpt, FormatOpt, TableArg, clean_text, not_blank
from chrono_cli.cli.state import CliState, err_console, note
from chrono_cli.errors import Refused
from chrono_cli.render.formats import OutputFormat, resolve

if TYPE_CHECKING:
    from chrono_cli.model import ResultSet
    from chrono_cli.services.plan import Plan

ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Why: recorded where the convention has a place "
                                               "for it (default: what chrono did).", show_default=False,
                                               callback=clean_text)]
ActorOpt = Annotated[str | None, typer.Option("--actor", help="Who: recorded where the convention has a place for "
                                              "it (default: config 'actor', else the OS user).", show_default=False,
                                              callback=clean_text)]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Write without asking (required off a terminal).")]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Print the plan and write nothing.")]
PlanOpt = Annotated[str | None, typer.Option("--plan", help="Write the plan as JSON to FILE (for 'chrono apply') "
                                             "and write nothing to the database.", show_default=False,
                                             metavar="FILE", callback=not_blank)]
SqlOpt = Annotated[bool, typer.Option("--sql", help="Print the SQL the write would run (values inlined, secrets "
                                      "redacted unless --show-secrets) and write nothing.")]
KeysArg = Annotated[list[str], typer.Argument(metavar="KEY", help="Primary keys of the rows (42, id=42, a=1,b=2).",
                                              show_default=False, autocompletion=complete_key)]


def restore(ctx: typer.Context, table: TableArg,
            key: Annotated[str | None, typer.Argument(help="Primary key of the row (42, id=42, a=1,b=2); left out "
                                                     "with --all-changed-since or --keys.", show_default=False,
                                                     metavar="KEY", autocompletion=complete_key)] = None,
            version: Annotated[str | None, typer.Option("--version", "-V", help="Version to go back to: library "
                                                        "version number, position pN (p-1 = last) or a time.",
                                                        show_default=False, callback=not_blank,
                                                        autocompletion=complete_version)] = None,
            at: Annotated[str | None, typer.Option("--at", help="Go back to the state valid at this time.",
                                                   show_default=False, callback=not_blank)] = None,
            only: Annotated[str | None, typer.Option("--only", help="Restore only these comma-separated columns.",
                                                     show_default=False, autocompletion=complete_columns)] = None,
            changed_since: Annotated[str | None, typer.Option("--all-changed-since", help="Many rows: every row "
                                                              "changed at or after this time goes back to its state "
                                                              "--at TIME (set-based, one transaction).",
                                                              show_default=False, metavar="TIME",
                                                              callback=not_blank)] = None,
            keys: Annotated[str | None, typer.Option("--keys", help="Many rows: the keys listed in FILE (one per "
                                                     "line, '-' for stdin) go back to their state --at TIME.",
                                                     show_default=False, metavar="FILE", callback=not_blank)] = None,
            reason: ReasonOpt = None, actor: ActorOpt = None, convention: ConventionOpt = None,
            yes: YesOpt = False, dry_run: DryRunOpt = False, plan: PlanOpt = None, sql: SqlOpt = False,
            fmt: FormatOpt = None) -> None:
    """Bring a row back to an earlier version, undelete it, or unarchive it; or many rows to a time.

    With --version or --at: UPDATE the row to that state (INSERT it again if it was deleted), writing
    the history rows the versioning library would write, so the state before the restore becomes a
    version too. Without: undelete a deleted row (its last state), or unarchive an archived one. Columns
    the history did not record keep their current value. Refuses (exit 6, nothing written) a no-op, a
    value that no longer fits its column, a broken unique or foreign key, or a row that changed meanwhile.

    The plan (row diff and SQL) goes to stderr before anything is written, and asks on a terminal
    (elsewhere --yes is required); with --dry-run or --plan FILE it goes to stdout and nothing is
    written. After writing, stdout gets a summary (with -f json: the plan as applied).

    Many rows: with --at TIME and --all-changed-since TIME (or --keys FILE) instead of KEY, every such
    row goes back to its state at TIME in a few set-based statements (a staging table, one UPDATE, one
    INSERT of history rows), in one transaction, with a progress bar on a terminal. Rows deleted since
    are re-created; rows created after TIME are left alone (chrono revert removes them).

    Example:

        chrono restore user 42 --version 3 --reason "revert bad import"
        chrono restore user 42 --at 2026-11-20T09:00Z --only email,name
        chrono restore user 42
        chrono restore user 42 --version 3 --plan fix.json
        chrono restore order --at 2026-11-20T09:00Z --all-changed-since 2026-11-20T09:00Z
    """
    from chrono_cli.services import restore as service

    state: CliState = ctx.obj
    if changed_since is not None or keys is not None:
        from chrono_cli.cli.bulk import bulk_restore

        if key is not None or version is not None or at is None or plan is not None:
            raise typer.BadParameter("--all-changed-since / --keys restore many rows: give --at TIME, and no KEY, "
                                     "--version or --plan", param_hint="--at")
        bulk_restore(state, table, at=at, since=changed_since, keys_file=keys, only=only, reason=reason,
                     actor=actor, convention=convention, yes=yes, dry_run=dry_run, sql=sql, fmt=fmt)
        return
    if key is None:
        raise typer.BadParameter("name the row (KEY), or give --all-changed-since TIME / --keys FILE",
                                 param_hint="KEY")
    planned = service.plan_restore(state.workspace, table, key, version=version, at=at, only=only, reason=reason,
                                   actor=actor, convention=convention)
    write_plan(state, planned, yes=yes, dry_run=dry_run, plan_file=plan, fmt=fmt, sql=sql)


def archive(ctx: typer.Context, table: TableArg, keys: KeysArg, reason: ReasonOpt = None, actor: ActorOpt = None,
            convention: ConventionOpt = None, yes: YesOpt = False, dry_run: DryRunOpt = False, plan: PlanOpt = None,
            sql: SqlOpt = False, fmt: FormatOpt = None) -> None:
    """Archive rows: set the table's archive column (true, or now) in one transaction.

    If the table is also versioned, the archive is an ordinary versioned update: the history rows the
    library would write are written too. Of several rows, those already archived are skipped (the plan
    and its JSON "skipped" list say so); one row already archived, or all of them, is refused (exit 6).

    Example:

        chrono archive user 42 43 44 --reason "GDPR request #81"
        chrono archive user 42 --dry-run
    """
    _archive(ctx, table, keys, archived=True, reason=reason, actor=actor, convention=convention, yes=yes,
             dry_run=dry_run, plan_file=plan, sql=sql, fmt=fmt)


def unarchive(ctx: typer.Context, table: TableArg, keys: KeysArg, reason: ReasonOpt = None, actor: ActorOpt = None,
              convention: ConventionOpt = None, yes: YesOpt = False, dry_run: DryRunOpt = False,
              plan: PlanOpt = None, sql: SqlOpt = False, fmt: FormatOpt = None) -> None:
    """Unarchive rows: clear the table's archive column (false, or NULL).

    Of several rows, those not archived are skipped, as archive skips rows already archived.

    Example:

        chrono unarchive user 42
        chrono unarchive user 42 43 --yes
    """
    _archive(ctx, table, keys, archived=False, reason=reason, actor=actor, convention=convention, yes=yes,
             dry_run=dry_run, plan_file=plan, sql=sql, fmt=fmt)


def apply(ctx: typer.Context,
          file: Annotated[str, typer.Argument(help="A plan written by --plan FILE.", show_default=False,
                                              metavar="FILE")],
          yes: YesOpt = False, dry_run: DryRunOpt = False, sql: SqlOpt = False, fmt: FormatOpt = None) -> None:
    """Apply a plan written by --plan, only if nothing changed since it was made.

    Inside one transaction, after locking the rows, chrono checks each row's fingerprint and history
    against the plan and rebuilds the statements; any difference refuses the whole plan (exit 6).
    A set-based revert's plan (chrono revert --plan) is planned again, set-based, as of its time: unless
    it shows the file's rows, counts, conflicts and statements exactly, it is refused; the write then
    locks and compares every live row with it.

    Example:

        chrono restore user 42 --version 3 --plan fix.json
        chrono apply fix.json --yes
    """
    from chrono_cli.services.plan import Plan, read_document
    from chrono_cli.services.revert_set_file import SetPlan, is_set_plan, replan

    state: CliState = ctx.obj
    doc = read_document(file)
    if is_set_plan(doc):  # a set-based revert's plan (services/revert_set_file.py): planned again, compared, written
        from chrono_cli.cli.revert import set_revert

        set_revert(state, replan(state.workspace, SetPlan.from_json(doc)), yes=yes, dry_run=dry_run, sql=sql, fmt=fmt)
        return
    write_plan(state, Plan.from_json(doc), yes=yes, dry_run=dry_run, plan_file=None, fmt=fmt, sql=sql)


def _archive(ctx: typer.Context, table: str, keys: list[str], *, archived: bool, reason: str | None,
             actor: str | None, convention: str | None, yes: bool, dry_run: bool, plan_file: str | None,
             sql: bool, fmt: OutputFormat | None) -> None:
    from chrono_cli.services.archive import plan_archive
    from chrono_cli.services.writeset import resolve_meta

    state: CliState = ctx.obj
    meta = resolve_meta(state.config, actor, reason)
    planned = plan_archive(state.workspace, table, keys, archived=archived, meta=meta, convention=convention)
    write_plan(state, planned, yes=yes, dry_run=dry_run, plan_file=plan_file, fmt=fmt, sql=sql)


def write_plan(state: CliState, plan: "Plan", *, yes: bool, dry_run: bool, plan_file: str | None,
               fmt: OutputFormat | None, sql: bool = False) -> None:
    """Show the plan, then save it (--plan), stop (--dry-run, --sql), or ask (--yes off a terminal) and apply it."""
    from chrono_cli.services.apply import apply_plan

    if sql:
        from chrono_cli.render.plan_out import write_sql
        from chrono_cli.services.sqltext import plan_sql

        write_sql(sys.stdout, plan_sql(state.workspace, plan))
        note("--sql: nothing written")
        return

    chosen = resolve((fmt.value if fmt else None) or state.fmt or os.environ.get("CHRONO_FORMAT"), sys.stdout.isatty())
    if dry_run or plan_file:
        if plan_file:
            plan.save(plan_file)
        show_plan(plan, sys.stdout, chosen, color=state.color(), hides=_hides(state))
        note(f"plan written to {plan_file}; apply it with: chrono apply {plan_file}" if plan_file
             else "dry run: nothing written")
        return
    human = resolve(None, sys.stderr.isatty())
    show_plan(plan, sys.stderr, human, color=human is OutputFormat.TABLE and not state.no_color, hides=_hides(state))
    if not yes:
        if not sys.stdin.isatty():
            raise Refused("not on a terminal: pass --yes to write (nothing written)")
        confirm_rows(len(plan.items), "Write these changes?")
    from chrono_cli.cli.progress import progress_bar

    with progress_bar("writing") as progress:
        applied = apply_plan(state.workspace, plan, progress if len(plan.items) > 1 else None)
    for warning in applied.warnings:
        err_console.print(f"[yellow]warning:[/] {warning}", markup=True, highlight=False)
    state.emit(_summary(applied.plan), fmt.value if fmt else None)


def show_plan(plan: "Plan", out: TextIO, fmt: OutputFormat, *, color: bool = False,
              hides: Callable[[str, str], bool] = lambda _table, _column: False) -> None:
    """The plan for people (a coloured + ~ - per row, its fields, kept columns, notes), or its JSON document."""
    from chrono_cli.render import render
    from chrono_cli.render.plan_out import counts, item_table
    from chrono_cli.services.plan import item_title

    if fmt is OutputFormat.JSON:
        out.write(plan.dumps() + "\n")
        return
    if fmt is OutputFormat.JSONL:
        out.writelines(json.dumps(line, ensure_ascii=False) + "\n" for line in plan.lines())
        return
    if fmt is OutputFormat.CSV:
        render(_diff_rows(plan), fmt, out)
        return

    for item in plan.items:
        table = item.table or plan.table
        render(item_table(item.action, item_title(plan, item), item.diff, partial(hides, table)), fmt, out,
               color=color)
        for k in item.kept:
            out.write(f"kept: {k['column']} ({k['why']})\n")
        # short, as git shows commits: the whole fingerprint is in the plan document (-f json, --plan FILE)
        out.write(f"expected current row: {item.expected_row[:19]}\n")
        for n in item.notes:
            out.write(f"note: {n}\n")
        out.write("\n")
    for skip in plan.skipped:
        out.write(f"skipped: {skip_text(skip)}\n")
    statements = sum(len(item.statements) for item in plan.items)
    out.write(f"SQL: {statements} statement{'' if statements == 1 else 's'} in one transaction (--sql prints them)\n")
    write_footer(out, plan.notes, plan.actor, plan.reason, counts([item.action for item in plan.items]))


def _hides(state: CliState) -> Callable[[str, str], bool]:
    """Whether a (table, column)'s values read redacted in a plan."""
    from chrono_cli.services import redact

    return lambda table, column: redact.hides(state.config, table, state.show_secrets)(column)


MANY_ROWS = 100  # above this, the user types the row count instead of y


def confirm_rows(rows: int, question: str) -> None:
    """Ask before writing: y/N, or for more than MANY_ROWS rows the row count typed out."""
    if rows > MANY_ROWS:
        typed = typer.prompt(f"{question} This writes {rows} rows: type {rows} to go on", default="", err=True,
                             show_default=False)
        if typed.strip() != str(rows):
            raise Refused(f"not confirmed (typed {typed.strip()!r}, not {rows}): nothing written")
    elif not typer.confirm(question, default=False, err=True):
        raise Refused("not confirmed: nothing written")


def write_footer(out: TextIO, notes: Sequence[str], actor: str | None, reason: str | None,
                 counts: tuple[int, int, int] | None = None) -> None:
    """A plan's closing lines: its notes, who and why, then one line counting rows as terraform does."""
    for n in notes:
        out.write(f"note: {n}\n")
    who = ", ".join(p for p in (f"actor: {actor}" if actor else "", f"reason: {reason}" if reason else "") if p)
    if who:
        out.write(who + "\n")
    if counts is not None:
        out.write(f"Plan: {counts[0]} to add, {counts[1]} to change, {counts[2]} to delete.\n")
    out.flush()


def skip_text(skip: Mapping[str, Any]) -> str:
    """One row a plan leaves alone: ``users id=45 (already archived)``."""
    from chrono_cli.services.writeset import key_text

    return f"{skip['table']} {key_text(skip['key'])} ({skip['why']})"


def _diff_rows(plan: "Plan") -> "ResultSet":
    from chrono_cli.model import ResultSet
    from chrono_cli.services.writeset import key_text

    rows = [[i.action, i.table or plan.table, key_text(i.key), d["column"], d["old"], d["new"]]
            for i in plan.items for d in i.diff]
    rows += [["skip", s["table"], key_text(s["key"]), "", "", ""] for s in plan.skipped]
    return ResultSet(("action", "table", "key", "column", "current", "new"), rows)


def _summary(plan: "Plan") -> "ResultSet":
    from chrono_cli.model import ResultSet
    from chrono_cli.services.writeset import key_text

    rows = [[i.action, i.table or plan.table, key_text(i.key), i.convention, i.history or "", len(i.statements)]
            for i in plan.items]
    rows += [["skip", s["table"], key_text(s["key"]), "", "", 0] for s in plan.skipped]
    return ResultSet(("action", "table", "key", "convention", "history", "statements"), rows,
                     title="written", document=plan.to_json(), lines=plan.lines())
