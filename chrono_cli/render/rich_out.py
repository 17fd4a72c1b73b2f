"""The rich table format (terminals): colours only here.

A table is printed only when every column fits without breaking a word; otherwise each row becomes a
header line and indented fields, as ``git log`` prints commits, so no value is ever cut in two.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from rich.cells import cell_len
from rich.color import ColorSystem
from rich.console import Console
from rich.style import Style
from rich.table import Table
from rich.text import Text

from chrono_cli.model import ResultSet
from chrono_cli.render.colors import MUTED, NEW, OLD, OPERATIONS, POSITION, Styled
from chrono_cli.render.console import output_console
from chrono_cli.render.encode import text

_SHORT = 24          # a one-line cell at most this wide is never wrapped (times, ids, positions)
_INDENT = "    "
_BATCH = 512         # pieces of lines held before a write (about 30 versions of a timeline)
# columns that say which version and who: they read unlabelled on the header line; the others get a label
_HEAD = {"pos", "version", "op", "from", "to", "at", "actor", "reason", "exact", "table", "key", "action"}


def rich_table(rs: ResultSet, out: TextIO, *, color: bool, width: int | None = None) -> None:
    console = output_console(out, color=color, width=width, soft_wrap=False)
    widths = [_least(name, [row[i] for row in rs.rows]) for i, name in enumerate(rs.columns)]
    if sum(widths) + 3 * len(widths) + 1 <= console.width:
        console.print(_table(rs, widths))
    else:
        _log(rs, console)


def rich_log(sample: ResultSet, rows: Iterable[Any], out: TextIO, *, color: bool, width: int | None = None) -> None:
    """``rows`` as a log (a header line per row, its long cells below), printed one row at a time: the output of
    a long timeline, laid out on its first screenful (``sample``) so it starts before the rest is read. A value
    longer than the sample's wraps; an empty cell is left out, so no column is dropped for the whole table."""
    console = output_console(out, color=color, width=width, soft_wrap=False)
    _log(sample, console, rows)


def _least(name: str, values: list[Any]) -> int:
    """The narrowest a column can be without breaking a word (or a short cell) in two."""
    words = [len(w) for w in name.split()]
    for v in values:
        shown = "NULL" if v is None else text(v)
        words += [len(shown)] if _short(v) else [len(w) for w in shown.split()]
    return max(words, default=1)


def _table(rs: ResultSet, widths: list[int]) -> Table:
    # a Text title: "[history-meta: appuser_history]" would otherwise be read as rich markup and vanish
    table = Table(title=_cell(rs.title) if rs.title else None, title_justify="left", header_style="bold",
                  show_lines=False)
    for i, name in enumerate(rs.columns):
        short = all(_short(row[i]) for row in rs.rows)
        table.add_column(name, no_wrap=short, overflow="fold", min_width=widths[i])
    for row in rs.rows:
        table.add_row(*_cells(rs, row))
    return table


def _cells(rs: ResultSet, row: Any) -> list[Text]:
    cells = [_cell(v) for v in row]
    for name, cell in zip(rs.columns, cells, strict=False):
        if name in ("op", "action") and cell.plain in OPERATIONS:
            cell.stylize(OPERATIONS[cell.plain])
        if name in ("pos", "id") and cell.plain:
            cell.stylize(POSITION)
        if name == "changes":
            _arrows(cell)
    return cells


def _arrows(cell: Text) -> None:
    """``old → new`` lines: the old value red and the new one green, as diff shows them."""
    at = 0
    for line in cell.plain.split("\n"):
        name, sep, rest = line.partition(": ")
        old, arrow, new = rest.partition(" → ")
        if sep and arrow:
            start = at + len(name) + 2
            cell.stylize(OLD, start, start + len(old))
            cell.stylize(NEW, start + len(old) + 3, start + len(rest))
        at += len(line) + 1


def _short(value: Any) -> bool:
    shown = "NULL" if value is None else text(value)
    return "\n" not in shown and len(shown) <= _SHORT


def _log(rs: ResultSet, console: Console, rows: Iterable[Any] | None = None) -> None:
    """One header line per row (its short cells) and its long cells below, indented; ``rows`` (default: the
    result's) are laid out as ``rs.rows`` are."""
    line = _Lines(console)
    if rs.title:
        title = _cell(rs.title)
        title.stylize("bold")
        line(title)
        line.flush()
    short = [i for i, name in enumerate(rs.columns)
             if (i == 0 or name in _HEAD) and all(_short(row[i]) for row in rs.rows)]
    try:
        for row in rs.rows if rows is None else rows:
            cells = _cells(rs, row)
            line()
            head = Text()
            for i in short:
                if cells[i].plain == "":
                    continue
                piece = cells[i].copy()
                if i == short[0]:
                    piece.stylize("bold yellow")
                if head.plain and len(head.plain) + 2 + len(piece.plain) > line.width:
                    line(head)
                    head = Text(_INDENT)
                head.append("  " if head.plain.strip() else "")
                head.append_text(piece)
            line(head)
            for i, name in enumerate(rs.columns):
                if i in short or cells[i].plain == "":
                    continue
                for part in cells[i].split("\n"):
                    label = Text(f"{_INDENT}{name}: ", style=MUTED) if "\n" not in cells[i].plain else Text(_INDENT)
                    line(Text.assemble(label, part))
            line.flush(at_least=_BATCH)
    finally:  # what was read before an error is shown
        line.flush()


def as_text(value: Any) -> Text:
    """A value as rich Text: a ``Styled`` value's spans become colours, None a dim NULL (the browser can use it)."""
    return _cell(value)


def _cell(value: Any) -> Text:
    if value is None:
        return Text("NULL", style=MUTED)
    if isinstance(value, Styled):
        cell = Text(str(value))
        for start, end, style in value.spans:
            cell.stylize(style, start, end)
        return cell
    return Text(text(value))


_SYSTEMS = {"standard": ColorSystem.STANDARD, "256": ColorSystem.EIGHT_BIT, "truecolor": ColorSystem.TRUECOLOR,
            "windows": ColorSystem.WINDOWS}


class _Lines:
    """``console.print(text, overflow="fold")`` of one line, without rich's machinery for a line that fits (a long
    timeline prints thousands: the machinery was most of the time before its first screen showed). A line that
    fits on the console is its segments' styles rendered as rich renders them, held until ``flush`` (one write a
    row: a terminal's stream is line-buffered); other lines go through rich."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.width = console.width  # measured once: it asks the terminal each time
        self.system = _SYSTEMS.get(console.color_system or "")
        self.parts: list[str] = []
        self.styled: dict[tuple[Any, ...], Style] = {}  # the style of a line's base and spans, as rich combines them

    def __call__(self, text: Text | None = None) -> None:
        if text is None:
            self.parts.append("\n")
            return
        plain = text.plain
        if "\n" in plain or "\t" in plain or cell_len(plain) > self.width:
            self.flush()
            self.console.print(text, overflow="fold")
        elif self.system is None:
            self.parts += (plain, "\n")
        else:
            self.parts += (*self._segments(text, plain), "\n")

    def _segments(self, text: Text, plain: str) -> Iterator[str]:
        """``text.render`` rendered: cut where a span starts or ends, each piece in the base style combined with
        the spans over it, in span order (as rich combines them); each combination's style is looked up once."""
        spans = text.spans
        cuts = sorted({0, len(plain), *(min(s.start, len(plain)) for s in spans), *(min(s.end, len(plain))
                                                                                   for s in spans)})
        for start, end in zip(cuts, cuts[1:], strict=False):
            key = (text.style, *(s.style for s in spans if s.start <= start and s.end >= end))
            style = self.styled.get(key)
            if style is None:
                style = self.styled[key] = self._colors(Style.combine(self.console.get_style(k) for k in key))
            yield self._render(style, plain[start:end])

    def flush(self, at_least: int = 0) -> None:
        """Write what is held, once it is ``at_least`` pieces (a write to a terminal is a system call)."""
        if self.parts and len(self.parts) >= at_least:
            self.console.file.write("".join(self.parts))
            self.parts.clear()

    def _colors(self, style: Style) -> Style:
        return style.without_color if self.console.no_color else style

    def _render(self, style: Style | None, text: str) -> str:
        return style.render(text, color_system=self.system, legacy_windows=self.console.legacy_windows) if style \
            else text
