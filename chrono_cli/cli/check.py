"""The check-migrations command: history stores against their base tables, for CI."""

import enum
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from chrono_cli.cli.completion import complete_table
from chrono_cli.cli.state import CliState, note
from chrono_cli.errors import ExitCode


class CheckFormat(enum.StrEnum):
    """Values of check-migrations' -f/--format: the usual formats plus junit; github means annotations."""

    AUTO = "auto"
    TABLE = "table"
    PLAIN = "plain"
    MARKDOWN = "markdown"
    GITHUB = "github"
    JSON = "json"
    JSONL = "jsonl"
    CSV = "csv"
    JUNIT = "junit"


_MACHINE = ("json", "jsonl", "csv", "junit")


def check_migrations(
    ctx: typer.Context,
    table: Annotated[list[str] | None, typer.Option("--table", "-t", metavar="TABLE", show_default=False,
                                                    help="Check only this table (repeatable; base or history name).")
                     ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail the check too.",
                                         autocompletion=complete_table)] = False,
    suggest: Annotated[bool, typer.Option("--suggest", help="Show the DDL and alembic op lines that would fix "
                                          "each finding (needs alembic).")] = False,
    fmt: Annotated[CheckFormat | None, typer.Option("--format", "-f", help="Output format; github prints workflow "
                                                    "annotations, junit a test report.", show_default=False)] = None,
    baseline: Annotated[Path | None, typer.Option("--baseline", metavar="FILE", show_default=False,
                                                  help="Compare with this baseline (default: [check] baseline in "
                                                       "chrono.toml): a table it records as versioned that no "
                                                       "longer is fails the check.")] = None,
    write_baseline: Annotated[Path | None, typer.Option("--write-baseline", metavar="FILE", show_default=False,
                                                        help="Record which tables are versioned and how in FILE "
                                                             "(commit it next to the migrations).")] = None,
    allow_empty: Annotated[bool, typer.Option("--allow-empty", help="Pass on a database with no history store "
                                              "(else exit 5: the wrong database?).")] = False,
) -> None:
    """Check that every history table still matches its base table: run it in CI after migrations.

    For each convention chrono reads (Chrononaut 0.2 and 0.4, SQLAlchemy history_meta, versioned rows,
    Flask-Potion, SQLAlchemy-Continuum, django-simple-history): missing history tables and columns, columns
    the base no longer has, narrowed or mismatched types, NOT NULL and unique constraints that break the next
    history write, wrong history keys, missing or mistyped meta columns (version, changed, change_info,
    transaction_id, ...), foreign keys in django-simple-history tables, and Continuum's native-versioning
    triggers (missing or disabled) on PostgreSQL. Findings are errors
    (history writes fail or data is lost), warnings (ambiguous) or info. Declare hidden, untracked or
    excluded columns, ignore = true and severity overrides per table in chrono.toml.

    A baseline (--write-baseline FILE once, then [check] baseline = "FILE" in chrono.toml) records which
    tables are versioned and how; with it, a table that lost its history store or its versioning is an error.
    Without one, a table shaped like the ones a convention versions in the same schema, but with no store,
    is an error too. A database with no history store at all exits 5 unless --allow-empty.

    Exit codes: 0 clean, 3 findings fail the check (errors; warnings too with --strict), 2 usage or
    config error, 4 unknown --table, 5 no history store at all, 7 database unreachable or unreadable.

    Example:

        chrono --db "$DATABASE_URL" check-migrations
        chrono check-migrations -f github
        chrono check-migrations -f junit > chrono.xml
        chrono check-migrations -f json | jq '.findings[]'
        chrono check-migrations --suggest
        chrono check-migrations --strict --table appuser
        chrono check-migrations --write-baseline chrono-baseline.json
    """
    from chrono_cli.render.check_out import render_report, summary_line
    from chrono_cli.services import check

    state: CliState = ctx.obj
    chosen = (fmt.value if fmt else None) or state.fmt or os.environ.get("CHRONO_FORMAT") or "auto"
    if chosen not in CheckFormat._value2member_map_:
        raise typer.BadParameter(f"unknown format {chosen!r}", param_hint="--format")
    if chosen == "auto":
        chosen = "table" if sys.stdout.isatty() else "plain"
    from chrono_cli.cli.progress import progress_bar

    with progress_bar() as progress:
        report = check.run(state.workspace, tables=table or (), strict=strict, suggest=suggest, progress=progress,
                           baseline=baseline, write_baseline=write_baseline, allow_empty=allow_empty)
    render_report(report, chosen, sys.stdout, color=state.color())
    if chosen in _MACHINE:
        note(summary_line(report))
    if report.failed:
        raise typer.Exit(int(ExitCode.DRIFT))
