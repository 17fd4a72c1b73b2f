"""The renderers behind ``chrono_cli.render.render``: one result, one format, one stream."""

from __future__ import annotations

import csv
from dataclasses import replace
from typing import Any, TextIO

from chrono_cli.model import ResultSet, Timeline
from chrono_cli.render.display import Display
from chrono_cli.render.documents import document, lines
from chrono_cli.render.encode import dumps, text
from chrono_cli.render.formats import TABULATE_FORMATS, OutputFormat
from chrono_cli.render.views import tabular

_ALWAYS = ("column", "value", "old", "new")  # a record's own columns: empty values are shown, not dropped


def render(result: object, fmt: OutputFormat, out: TextIO, *, color: bool = False, width: int | None = None,
           err: TextIO | None = None, display: Display | None = None) -> None:
    """Write ``result`` to ``out`` in ``fmt`` (resolved from ``auto``); notes for the person go to ``err``."""
    human = display or Display()
    if fmt is OutputFormat.JSON:
        out.write(dumps(document(result)) + "\n")
    elif fmt is OutputFormat.JSONL:
        for item in lines(result):
            out.write(dumps(item, indent=None) + "\n")
    elif fmt is OutputFormat.CSV:
        rs = tabular(result)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(rs.columns)
        writer.writerows([["" if v is None else text(v) for v in row] for row in rs.rows])
    elif fmt in TABULATE_FORMATS:
        _tabulate(without_empty(tabular(result, human)), fmt, out)
    else:
        from chrono_cli.render.rich_out import rich_table

        rich_table(without_empty(tabular(result, human)), out, color=color, width=width)
    if err is not None:
        for warning in _warnings(result):
            err.write(f"warning: {warning}\n")
        for note in _notes(result):
            err.write(f"note: {note}\n")


def without_empty(rs: ResultSet) -> ResultSet:
    """Drop the columns no row fills (actor, reason...): people read what is there."""
    if not rs.rows:
        return rs
    keep = [i for i in range(len(rs.columns)) if any(row[i] not in ("", None) for row in rs.rows)
            or rs.columns[i] in _ALWAYS]
    if len(keep) == len(rs.columns):
        return rs
    return replace(rs, columns=[rs.columns[i] for i in keep], rows=[[row[i] for i in keep] for row in rs.rows])


def _warnings(result: object) -> tuple[str, ...]:
    timeline = result if isinstance(result, Timeline) else getattr(result, "timeline", None)
    return timeline.warnings if isinstance(timeline, Timeline) else ()


def _notes(result: object) -> tuple[str, ...]:
    try:
        return tuple(tabular(result).notes)
    except TypeError:
        return ()


def _tabulate(rs: ResultSet, fmt: OutputFormat, out: TextIO) -> None:
    from tabulate import tabulate

    escape = fmt is not OutputFormat.PLAIN
    rows = [[_cell(v, escape) for v in row] for row in rs.rows]
    if rs.title and fmt is OutputFormat.PLAIN:
        out.write(rs.title + "\n")
    elif rs.title:
        out.write(f"**{_cell(rs.title, True)}**\n\n")
    out.write(tabulate(rows, headers=list(rs.columns), tablefmt=TABULATE_FORMATS[fmt], disable_numparse=True) + "\n")


def _cell(value: Any, escape: bool) -> str:
    s = text(value)
    if escape:  # markdown tables: a pipe ends the cell, a newline ends the row
        s = s.replace("|", "\\|").replace("\n", "<br>")
    return s
