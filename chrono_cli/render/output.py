"""The renderers behind ``chrono_cli.render.render``: one result, one format, one stream."""

from __future__ import annotations

import csv
from itertools import chain, islice
from typing import Any, TextIO

from chrono_cli.model import ResultSet, Timeline, TimelineStream
from chrono_cli.records import replace
from chrono_cli.render.display import Display
from chrono_cli.render.documents import document, header, lines, record, version_doc
from chrono_cli.render.encode import dumps, text
from chrono_cli.render.formats import TABULATE_FORMATS, OutputFormat
from chrono_cli.render.views import TIDY_HISTORY, history_rows, tabular, tidy, tidy_rows

_ALWAYS = ("column", "value", "old", "new")  # a record's own columns: empty values are shown, not dropped


def render(result: object, fmt: OutputFormat, out: TextIO, *, color: bool = False, width: int | None = None,
           err: TextIO | None = None, display: Display | None = None, height: int | None = None) -> None:
    """Write ``result`` to ``out`` in ``fmt`` (resolved from ``auto``); notes for the person go to ``err``.

    A ``TimelineStream`` is written as it is read where the format allows (json, jsonl, csv, and the table on a
    terminal of ``height`` rows); the other formats size their columns on every row, so they read it whole."""
    human = display or Display()
    if isinstance(result, TimelineStream):
        if not _stream(result, fmt, out, color=color, width=width, display=human, height=height):
            render(result.whole(), fmt, out, color=color, width=width, err=err, display=display)
            return
        result = result.whole()  # only the warnings are left to write
    elif fmt is OutputFormat.JSON:
        out.write(dumps(document(result)) + "\n")
    elif fmt is OutputFormat.JSONL:
        for item in lines(result):
            out.write(dumps(item, indent=None) + "\n")
    elif fmt is OutputFormat.CSV:
        rs = tidy(result)
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


def _stream(ts: TimelineStream, fmt: OutputFormat, out: TextIO, *, color: bool, width: int | None, display: Display,
            height: int | None) -> bool:
    """Write a timeline as its versions come; False when ``fmt`` needs them all first."""
    if fmt is OutputFormat.JSONL:
        about = record(ts.head)
        for v in ts.versions:
            out.write(dumps({**about, **version_doc(v)}, indent=None) + "\n")
    elif fmt is OutputFormat.JSON:
        # the document ``dumps(document(timeline))`` prints, its versions written one by one
        opening = dumps({**header(ts.head), "versions": []})
        out.write(opening[:opening.rindex("[]")] + "[")
        for i, v in enumerate(ts.versions):
            item = "\n".join("    " + line for line in dumps(version_doc(v)).split("\n"))
            out.write(("\n" if i == 0 else ",\n") + item)
        out.write("\n  ]\n}\n")
    elif fmt is OutputFormat.CSV:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(TIDY_HISTORY)
        for row in tidy_rows(ts.versions):
            writer.writerow(["" if v is None else text(v) for v in row])
    elif fmt is OutputFormat.TABLE and height is not None:
        from chrono_cli.render.rich_out import rich_log, rich_table

        columns, rows = history_rows(ts.head, ts.versions, display)
        title = tabular(ts.head, display).title
        first = list(islice(rows, max(height, 1)))  # the first screenful sizes the output
        following = next(rows, None)
        if following is None:
            rich_table(without_empty(ResultSet(columns, first, title=title)), out, color=color, width=width)
        else:
            rich_log(ResultSet(columns, first, title=title), chain(first, (following,), rows), out, color=color,
                     width=width)
    else:
        return False
    return True


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
