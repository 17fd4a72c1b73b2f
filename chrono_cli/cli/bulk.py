"""``chrono restore TABLE --at T --all-changed-since S | --keys FILE``: show the set-based restore, ask, write."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

from chrono_cli.cli.state import CliState, note
from chrono_cli.cli.write import confirm_rows, write_footer
from chrono_cli.errors import Refused
from chrono_cli.model import ResultSet
from chrono_cli.render.formats import OutputFormat, resolve

if TYPE_CHECKING:
    from chrono_cli.services.bulk_restore import BulkPlan

SHOWN = 20  # rows whose diff the plan lists


def bulk_restore(state: CliState, table: str, *, at: str, since: str | None, keys_file: str | None,
                 only: str | None, reason: str | None, actor: str | None, convention: str | None, yes: bool,
                 dry_run: bool, sql: bool, fmt: OutputFormat | None) -> None:
    from chrono_cli.cli.progress import progress_bar
    from chrono_cli.services.bulk_restore import BulkPlan, apply_bulk_restore, plan_bulk_restore
    from chrono_cli.services.restore import columns_option

    chosen = resolve((fmt.value if fmt else None) or state.fmt or os.environ.get("CHRONO_FORMAT"), sys.stdout.isatty())
    every = dry_run and not sql and chosen in (OutputFormat.JSON, OutputFormat.JSONL, OutputFormat.CSV)
    with progress_bar("planning") as planning:  # joined-inheritance objects are planned one by one
        plan = plan_bulk_restore(state.workspace, table, at=at, since=since, keys_file=keys_file,
                                 only=columns_option(only), actor=actor, reason=reason, convention=convention,
                                 listed=None if every else SHOWN,  # the rows the display lists, read whole
                                 progress=planning)
    if not isinstance(plan, BulkPlan):  # joined-inheritance objects, planned one by one: shown as any restore
        from chrono_cli.cli.write import write_plan

        write_plan(state, plan, yes=yes, dry_run=dry_run, plan_file=None, fmt=fmt, sql=sql)
        return
    if sql:
        from chrono_cli.render.plan_out import write_sql
        from chrono_cli.services.sqltext import bulk_sql

        title = (f"restore {plan.table} to its state at {plan.at.isoformat()}: {plan.size} rows, set-based "
                 + (f"through {len(plan.parts)} temporary staging tables (one per part: a table of the hierarchy "
                    "and a class of its objects)" if plan.parts else "through a temporary staging table of the "
                    "target rows"))
        write_sql(sys.stdout, [(title, bulk_sql(state.workspace, plan))])
        note("--sql: nothing written")
        return
    if dry_run:
        _show(plan, sys.stdout, chosen)
        note("dry run: nothing written")
        return
    _show(plan, sys.stderr, resolve(None, sys.stderr.isatty()))
    if not yes:
        if not sys.stdin.isatty():
            raise Refused("not on a terminal: pass --yes to write (nothing written)")
        confirm_rows(plan.size, f"Restore {plan.size} rows?")
    with progress_bar("staging rows") as progress:
        warnings = apply_bulk_restore(state.workspace, plan, progress)
    for warning in warnings:
        note(f"warning: {warning}")
    doc = plan.to_json(rows=False)
    rs = ResultSet(("table", "restored", "recreated", "skipped", "at"),
                   [[plan.table, doc["restored"], doc["recreated"], sum(plan.skipped.values()), doc["at"]]],
                   title="written", document=doc)
    state.emit(rs, fmt.value if fmt else None)


def _show(plan: BulkPlan, out: TextIO, fmt: OutputFormat) -> None:
    from chrono_cli.render import render

    if fmt in (OutputFormat.JSON, OutputFormat.JSONL):
        out.write(json.dumps(plan.to_json(), ensure_ascii=False, indent=2 if fmt is OutputFormat.JSON else None))
        out.write("\n")
        return
    if fmt is OutputFormat.CSV:
        render(_diffs(plan.to_json()), fmt, out)
        return
    doc = plan.to_json(rows=SHOWN)
    out.write(f"restore {plan.table} to its state at {plan.at.isoformat()} [{plan.convention}: {plan.history}]: "
              f"{doc['restored']} rows restored, {doc['recreated']} re-created\n")
    for why, n in plan.skipped.items():
        out.write(f"skipped: {n} rows {why}\n")
    render(_diffs(doc), fmt, out)
    if plan.size > SHOWN:
        out.write(f"... and {plan.size - SHOWN} more rows (-f json lists them all)\n")
    n = len(plan.statements)
    stages = f"{len(plan.parts)} temporary staging tables (one per part)" if plan.parts else \
        "a temporary staging table of the target rows"
    out.write(f"SQL: {n} set-based statement{'' if n == 1 else 's'} through {stages}, in one transaction "
              "(--sql prints them)\n")
    write_footer(out, plan.notes, plan.actor, plan.reason, (doc["recreated"], doc["restored"], 0))


def _diffs(doc: dict[str, Any]) -> ResultSet:
    """One line per changed column of each row the plan document lists."""
    from chrono_cli.services.writeset import key_text

    return ResultSet(("key", "action", "column", "current", "new"),
                     [[key_text(d["key"]), d["action"], c["column"], c["old"], c["new"]]
                      for d in doc["rows"] for c in d["diff"]])
