"""Reusable Annotated option types."""

from __future__ import annotations

from typing import Annotated, TypeVar

import typer

from chrono_cli.cli.completion import (
    complete_columns,
    complete_convention,
    complete_key,
    complete_table,
)
from chrono_cli.render.formats import OutputFormat

T = TypeVar("T")


def clean_text(value: T) -> T:
    """Refuse text (or a list of texts) that no database takes: NUL characters, bytes that are not UTF-8."""
    texts = value if isinstance(value, list | tuple) else [value] if isinstance(value, str) else []
    if any(not _plain(text) for text in texts):  # the check's module is heavy: import it for a real problem only
        from chrono_cli.errors import UsageError
        from chrono_cli.services.keys import check_text

        for text in texts:
            try:
                check_text(text, "value")
            except UsageError as exc:  # a typer error, so options of the group itself report it too
                raise typer.BadParameter(str(exc)) from None
    return value


def _plain(text: object) -> bool:
    """Text every database takes: no NUL, nothing that is not UTF-8 (what services.keys.check_text refuses)."""
    if not isinstance(text, str):
        return True
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def not_blank(value: str | None) -> str | None:
    """Refuse an empty value (``--at ''``), which would otherwise read as the option left out."""
    if value is not None and not value.strip():
        raise typer.BadParameter("empty value")
    return clean_text(value)


TableArg = Annotated[str, typer.Argument(help="Table: name, schema.name, alias, singular/plural or model name.",
                                         show_default=False, metavar="TABLE", autocompletion=complete_table,
                                         callback=clean_text)]
KeyArg = Annotated[str, typer.Argument(help="Primary key: 42, id=42, or a composite order_id=5,line=2.",
                                       show_default=False, metavar="KEY", autocompletion=complete_key)]
FormatOpt = Annotated[OutputFormat | None, typer.Option("--format", "-f", help="Output format (default: table on a "
                                                         "terminal, plain otherwise).", show_default=False)]
ConventionOpt = Annotated[str | None, typer.Option("--convention", help="Read this convention when a table has "
                                                    "several (see 'chrono tables').", show_default=False,
                                                    autocompletion=complete_convention)]
ColumnsOpt = Annotated[str | None, typer.Option("--columns", help="Comma-separated columns to show.",
                                                show_default=False, autocompletion=complete_columns)]
AllOpt = Annotated[bool, typer.Option("--all", help="Show every column (ignore configured defaults).")]
SinceOpt = Annotated[str | None, typer.Option("--since", help="Only versions from this time on (ISO-8601, epoch "
                                              "seconds, yesterday, 'Nov 16', 2h, '3 days ago', 1mo, 1y).",
                                              show_default=False, callback=not_blank)]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Only versions up to this time.", show_default=False,
                                              callback=not_blank)]

MAX_LIMIT = 1_000_000_000
MAX_WINDOW = 86_400.0  # one day: a longer gap no longer reads as one person's one change


def _limit(value: int | None) -> int | None:
    if value is not None and not 1 <= value <= MAX_LIMIT:
        raise typer.BadParameter(f"{value} is not a count from 1 to {MAX_LIMIT}")
    return value


def _window(value: float) -> float:
    if not 0 <= value <= MAX_WINDOW:  # also refuses nan, which compares false with everything
        raise typer.BadParameter(f"{value} is not a number of seconds from 0 to {MAX_WINDOW:g}")
    return value


LimitOpt = Annotated[int | None, typer.Option("--limit", "-n", help="Show at most N rows.", show_default=False,
                                              callback=_limit)]
HistoryLimitOpt = Annotated[int | None, typer.Option("--limit", "-n", help="Show only the newest N versions.",
                                                     show_default=False, callback=_limit)]
PageOpt = Annotated[int, typer.Option("--limit", "-n", help="Change sets per page.", callback=_limit)]
ChangesWindowOpt = Annotated[float, typer.Option("--window", help="Seconds between one actor's changes that still "
                                                 "count as one inferred change set (0 to 86400).", callback=_window)]
RevertWindowOpt = Annotated[float, typer.Option("--window", help="Seconds that group an inferred change set (as "
                                                "given to 'chrono changes').", callback=_window)]
