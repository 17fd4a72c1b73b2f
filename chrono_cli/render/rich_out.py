"""The rich table format (terminals): colours only here."""

from __future__ import annotations

from typing import Any, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from chrono_cli.model import ResultSet
from chrono_cli.render.encode import text


def rich_table(rs: ResultSet, out: TextIO, *, color: bool, width: int | None = None, diff: bool = False) -> None:
    console = Console(file=out, no_color=not color, force_terminal=color, width=width, highlight=False,
                      soft_wrap=False)
    # a Text title: "[history-meta: appuser_history]" would otherwise be read as rich markup and vanish
    table = Table(title=Text(rs.title) if rs.title else None, title_justify="left", header_style="bold",
                  show_lines=False)
    for name in rs.columns:
        table.add_column(name, overflow="fold")
    for row in rs.rows:
        cells = [_cell(v) for v in row]
        if diff and len(cells) == 3:
            cells[1].stylize("red")
            cells[2].stylize("green")
        table.add_row(*cells)
    console.print(table)


def _cell(value: Any) -> Text:
    if value is None:
        return Text("NULL", style="dim")
    return Text(text(value))
