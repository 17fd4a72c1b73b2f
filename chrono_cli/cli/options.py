"""Reusable Annotated option types."""

from __future__ import annotations

from typing import Annotated

import typer

from chrono_cli.cli.completion import complete_table
from chrono_cli.render.formats import OutputFormat

TableArg = Annotated[str, typer.Argument(help="Table: name, schema.name, alias, singular/plural or model name.",
                                         show_default=False, autocompletion=complete_table)]
KeyArg = Annotated[str, typer.Argument(help="Primary key: 42, id=42, or a composite order_id=5,line=2.",
                                       show_default=False)]
FormatOpt = Annotated[OutputFormat | None, typer.Option("--format", "-f", help="Output format (default: table on a "
                                                         "terminal, plain otherwise).", show_default=False)]
ConventionOpt = Annotated[str | None, typer.Option("--convention", help="Read this convention when a table has "
                                                    "several (see 'chrono tables').", show_default=False)]
ColumnsOpt = Annotated[str | None, typer.Option("--columns", help="Comma-separated columns to show.",
                                                show_default=False)]
AllOpt = Annotated[bool, typer.Option("--all", help="Show every column (ignore configured defaults).")]
SinceOpt = Annotated[str | None, typer.Option("--since", help="Only versions from this time on (ISO-8601 or 2h, 3d, "
                                              "1w ago).", show_default=False)]
UntilOpt = Annotated[str | None, typer.Option("--until", help="Only versions up to this time.", show_default=False)]
