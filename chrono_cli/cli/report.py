"""``chrono report``: a ticket-ready page about one record."""

import enum
import sys
from typing import Annotated

import typer

from chrono_cli.cli.options import ConventionOpt, KeyArg, SinceOpt, TableArg, not_blank
from chrono_cli.cli.state import CliState
from chrono_cli.errors import UsageError


class ReportFormat(enum.StrEnum):
    """What ``chrono report`` prints."""

    MARKDOWN = "markdown"
    HTML = "html"


def report(
    ctx: typer.Context,
    table: TableArg,
    key: KeyArg,
    since: SinceOpt = None,
    restore_to: Annotated[
        str | None,
        typer.Option(
            "--restore-to",
            help="Add the plan that would restore this version (number, position pN or time); nothing is written.",
            show_default=False,
            metavar="VERSION",
            callback=not_blank,
        ),
    ] = None,
    convention: ConventionOpt = None,
    fmt: Annotated[
        ReportFormat | None, typer.Option("--format", "-f", help="markdown (default) or html.", show_default=False)
    ] = None,
) -> None:
    """Print one page about a record to paste into a ticket: timeline, blame, last change, restore plan.

    The timeline (from --since on), who last set each column, the diff of the last change and, with
    --restore-to, the plan that would bring that version back and its SQL. Secret values are redacted
    (unless --show-secrets) and every value is escaped for Markdown or HTML. Nothing is written.

    Example:

        chrono report user 42 > ticket.md
        chrono report user 42 --since 2026-11-01 --restore-to p3
        chrono report user 42 -f html > user-42.html
    """
    from chrono_cli.render.report_out import html_page, markdown
    from chrono_cli.services.report import report as build

    state: CliState = ctx.obj
    chosen = fmt or _global(state.fmt)
    page = build(state.workspace, table, key, since=since, restore_to=restore_to, convention=convention)
    sys.stdout.write(html_page(page, state.display) if chosen is ReportFormat.HTML else markdown(page, state.display))


def _global(fmt: str | None) -> ReportFormat:
    """``chrono -f markdown report ...`` works too; any other global format is a usage error."""
    if fmt in (None, "auto", "markdown"):
        return ReportFormat.MARKDOWN
    raise UsageError(f"chrono report prints markdown or html, not {fmt}", hint="use -f markdown or -f html")
