"""Read-only detail screens of one record: the diff between two versions, and blame."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from chrono_cli.browse.base import BrowseScreen, cell
from chrono_cli.model import BlameView, Op, Timeline, Version
from chrono_cli.render.encode import text


def label(v: Version) -> str:
    """A version as the CLI names it: p3 (version 3), deleted marked."""
    out = f"p{v.seq}" + (f" (version {v.number})" if v.number is not None else "")
    return out + (" (deleted)" if v.op is Op.DELETE else "")


class DetailScreen(BrowseScreen):
    """A title and one scrollable rich table."""

    BINDINGS = [Binding("j,down", "scroll(1)", "Down", show=False), Binding("k,up", "scroll(-1)", "Up", show=False)]

    def __init__(self, title: str, table: Table, notes: list[str]) -> None:
        super().__init__()
        self.heading = title
        self.table = table
        self.notes = notes

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="detail"):
            yield Static(Text(self.heading, style="bold"))
            yield Static(self.table)
            for n in self.notes:
                yield Static(Text(f"note: {n}", style="dim"))
        yield Footer()

    def action_scroll(self, lines: int) -> None:
        self.query_one("#detail", VerticalScroll).scroll_relative(y=lines, animate=False)


class DiffScreen(DetailScreen):
    """Field changes from ``old`` to ``new`` (old None: the record's first state), words and JSON paths marked."""

    def __init__(self, tl: Timeline, old: Version | None, new: Version) -> None:
        from chrono_cli.services import select

        table = Table(show_lines=True, expand=True)
        for name in ("column", "old", "new", "what changed"):
            table.add_column(name, overflow="fold")
        if old is None:
            changes, unrecorded = new.changes, new.unrecorded
            title = f"{tl.table} {tl.key}: {label(new)}, its first recorded state"
        else:
            view = select.compare(tl, old, new)
            changes, unrecorded = view.changes, view.unrecorded
            title = f"{tl.table} {tl.key}: {label(old)} → {label(new)}"
        for c in changes:
            table.add_row(c.column, _styled(c.old, "red"), _styled(c.new, "green"),
                          _fine(c.column, c.old, c.new) if old is not None and old.values is not None
                          and new.values is not None else Text(""))
        notes = [f"{c}: not recorded on one side (never guessed)" for c in unrecorded]
        if not changes:
            notes.insert(0, "no recorded field differs")
        super().__init__(title, table, notes)


class BlameScreen(DetailScreen):
    """``b``: for each column, the version that last set its value (git blame for a row)."""

    def __init__(self, view: BlameView) -> None:
        tl = view.timeline
        table = Table(expand=True)
        for name in ("column", "value", "set by", "at", "actor", "reason", "previous"):
            table.add_column(name, overflow="fold")
        notes = []
        for line in view.lines:
            v = line.version
            value = cell(line.value) if line.recorded else Text("(not recorded)", style="dim")
            if v is None:
                table.add_row(line.column, value, Text("not recorded", style="dim"), "", "", "", "")
            else:
                table.add_row(line.column, value, label(v), cell(v.valid_from, unknown="not recorded"),
                              v.actor or "", v.reason or "", text(line.previous) if line.has_previous else "")
            if line.note and line.recorded:
                notes.append(f"{line.column}: {line.note}")
        if view.deleted is not None:
            notes.append(f"the record was deleted at p{view.deleted.seq}; blaming its last state")
        super().__init__(f"{tl.table} {tl.key} blame at {label(view.state)}", table, notes)


def _fine(column: str, old: object, new: object) -> Text:
    """What changed, as ``chrono diff`` shows it: the changed words of a long text, the changed paths of a JSON
    document (a JSON column, or JSON text in a text column), else old → new."""
    from chrono_cli.render.finediff import detail, marked
    from chrono_cli.render.rich_out import as_text

    found = detail(column, old, new)
    if found is None:
        return Text.assemble(_styled(old, "red"), " → ", _styled(new, "green"))
    return as_text(marked(found))


def _styled(value: object, style: str) -> Text:
    return cell(value) if value is None else Text(text(value), style=style)
