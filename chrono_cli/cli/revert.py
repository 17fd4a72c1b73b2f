"""``chrono revert``: undo a whole change set, after a conflict report."""

import sys
from typing import TYPE_CHECKING, Annotated, Any

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
    from chrono_cli.services.revert_set_plan import SetRevert


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
    nothing written). Then the plan, as for 'chrono restore'; --plan FILE saves it for 'chrono apply'
    (set-based where the revert is).

    Example:

        chrono changes --since 2h
        chrono revert 4711 --dry-run
        chrono revert @1763283720000 --reason "undo bad import" --yes
        chrono revert 4711 --force --plan undo.json
    """
    from chrono_cli.services.revert import plan_revert
    from chrono_cli.services.revert_set import plan_set_revert, set_head

    state: CliState = ctx.obj
    # row by row where the set-based revert cannot be used (services/revert_set.py); a plan file is then the
    # row-by-row document (services/plan.py), else the set-based one (services/revert_set_file.py)
    head = set_head(state.workspace, changeset, window)
    whole = plan_set_revert(state.workspace, head, force=force, actor=actor, reason=reason) if head else None
    if whole is not None:
        set_revert(state, whole, yes=yes, dry_run=dry_run, sql=sql, fmt=fmt, plan_file=plan, window=window)
        return
    result = plan_revert(state.workspace, changeset, window=window, force=force, actor=actor, reason=reason)
    cs = result.changeset
    _report(result, state)
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


def set_revert(state: CliState, result: "SetRevert", *, yes: bool, dry_run: bool, sql: bool,
               fmt: OutputFormat | None, plan_file: str | None = None, window: float | None = None) -> None:
    """The set-based revert: the same report and refusals, its plan, then the write (see services/revert_set), or
    its plan saved to ``plan_file`` (with an inferred set's grouping ``window``) for 'chrono apply'."""
    import os

    from chrono_cli.cli.progress import progress_bar
    from chrono_cli.cli.write import confirm_rows
    from chrono_cli.model import ResultSet
    from chrono_cli.services.revert_set_write import apply_set_revert

    _report(result, state)
    cs = result.changeset
    if result.blocked:
        raise Refused(f"change set {cs.id} cannot be reverted: {_rows(len(result.blocked))} cannot be written "
                      "(listed above); nothing written")
    if not result.parts:
        raise NothingToWrite(f"every row of change set {cs.id} is already as it was before it: nothing to write")
    if sql:
        from chrono_cli.render.plan_out import write_sql
        from chrono_cli.services import redact
        from chrono_cli.services.sqltext import statements

        ws = state.workspace
        hidden = [redact.hides(ws.config, p.table, ws.settings.show_secrets) for p in result.parts]
        write_sql(sys.stdout, [(f"revert change set {cs.id}: {sum(result.counts())} rows, set-based through "
                                "temporary staging tables of the target rows",
                                statements(result.steps, ws.engine.dialect, lambda c: any(h(c) for h in hidden)))])
        note("--sql: nothing written")
        return
    chosen = resolve((fmt.value if fmt else None) or state.fmt or os.environ.get("CHRONO_FORMAT"), sys.stdout.isatty())
    refused = bool(result.conflicts) and not result.force
    if dry_run or refused or plan_file:
        if dry_run:
            _show(result, sys.stdout, chosen)
        if refused:
            raise Refused(f"revert of change set {cs.id} refused: {_rows(len(result.conflicts), 'later change')} "
                          "would be overwritten (listed above); nothing written",
                          hint="--force reverts anyway, writing over those changes")
        if plan_file:
            from chrono_cli.services.revert_set_file import save

            save(plan_file, result, window)
            if not dry_run:
                _show(result, sys.stdout, chosen)
        note(f"plan written to {plan_file}; apply it with: chrono apply {plan_file}" if plan_file
             else "dry run: nothing written")
        return
    _show(result, sys.stderr, resolve(None, sys.stderr.isatty()))
    rows = sum(result.counts())
    if not yes:
        if not sys.stdin.isatty():
            raise Refused("not on a terminal: pass --yes to write (nothing written)")
        confirm_rows(rows, "Write these changes?")
    # built only when printed (100,000 rows cost), and before the write: the rows the plan read, which the write
    # checks are still so; a reading afterwards would meet the write's own history rows, and anyone's since
    document = result.to_json() if chosen is OutputFormat.JSON else None
    lines = result.lines() if chosen is OutputFormat.JSONL else None
    with progress_bar("writing") as progress:
        warnings = apply_set_revert(state.workspace, result, progress)
    for warning in warnings:
        note(f"warning: {warning}")
    table = [[p.table, *(sum(1 for r in p.rows if r.action == a) for a in ("undelete", "restore", "delete"))]
             for p in result.parts]
    state.emit(ResultSet(("table", "undelete", "restore", "delete"), table, title="written", document=document,
                         lines=lines), fmt.value if fmt else None)


SHOWN = 20  # rows whose diff the plan lists


def _show(result: "SetRevert", out: Any, fmt: OutputFormat) -> None:
    """The set-based plan: counts, the first rows' diffs, the statement count (or its JSON document)."""
    import json

    from chrono_cli.cli.write import write_footer
    from chrono_cli.model import ResultSet
    from chrono_cli.render import render
    from chrono_cli.services.writeset import key_text

    if fmt is OutputFormat.JSONL:
        out.writelines(json.dumps(line, ensure_ascii=False) + "\n" for line in result.lines())
        return
    doc = result.to_json(rows=True if fmt in (OutputFormat.JSON, OutputFormat.CSV) else SHOWN)
    if fmt is OutputFormat.JSON:
        out.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        return
    diffs = ResultSet(("action", "table", "key", "column", "current", "new"),
                      [[i["action"], i["table"], key_text(i["key"]), d["column"], d["old"], d["new"]]
                       for i in doc["items"] for d in i["diff"]])
    if fmt is OutputFormat.CSV:
        render(diffs, fmt, out)
        return
    added, changed, deleted = result.counts()
    out.write(f"revert change set {result.changeset.id}, set-based: {added} rows re-inserted, {changed} restored, "
              f"{deleted} deleted\n")
    render(diffs, fmt, out)
    total = added + changed + deleted
    if total > SHOWN:
        out.write(f"... and {total - SHOWN} more rows (-f json lists them all)\n")
    n = len(result.statements)
    out.write(f"SQL: {n} set-based statement{'' if n == 1 else 's'} through temporary staging tables of the target "
              "rows, in one transaction (--sql prints them)\n")
    write_footer(out, result.notes, result.actor, result.reason, (added, changed, deleted))


def _rows(n: int, what: str = "row") -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _report(result: "Revert | SetRevert", state: CliState) -> None:
    """The change set, its conflicts, the rows that cannot be reverted and those already as before (stderr)."""
    from chrono_cli.render import render

    cs = result.changeset
    kind = "exact" if cs.exact else "inferred"
    when = cs.at.isoformat() if cs.at else "unknown time"
    note(f"change set {cs.id} ({kind}, {when}, by {cs.actor or 'unknown'}): {_rows(result.change_count, 'row change')}")
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


def _table(title: str, rows: "tuple[Conflict, ...]") -> "ResultSet":
    from chrono_cli.model import ResultSet
    from chrono_cli.services.writeset import key_text

    return ResultSet(("table", "key", "what", "at", "actor"),
                     [[c.table, key_text(c.key), c.message, c.at.isoformat() if c.at else "", c.actor or ""]
                      for c in rows], title=title)
