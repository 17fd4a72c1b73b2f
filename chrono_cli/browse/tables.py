"""The tables screen (every detected table) and a table's records (recent changes, deleted, archived, a key)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Input, Static

from chrono_cli.browse.base import BrowseScreen, cell, cursor_row, when
from chrono_cli.errors import ChronoError
from chrono_cli.services.workspace import Workspace

RECENT = 50  # change sets read for a table's records screen


class ListScreen(BrowseScreen):
    """An input line over a table: typing goes to the input, arrows and enter to the table."""

    BINDINGS = [Binding("down", "move(1)", "Down", show=False), Binding("up", "move(-1)", "Up", show=False),
                Binding("pagedown", "move(10)", "Page down", show=False),
                Binding("pageup", "move(-10)", "Page up", show=False),
                Binding("slash", "filter", "Filter", show=False)]
    COLUMNS: tuple[str, ...] = ()
    PLACEHOLDER = ""
    TYPE_TO_FILTER = True  # keys go to the input first; else to the table (``/`` moves to the input)

    def __init__(self, heading: str) -> None:
        super().__init__()
        self.heading = heading

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text(self.heading, style="bold"), id="title")
        line = Input(placeholder=self.PLACEHOLDER, id="input")
        line.display = bool(self.PLACEHOLDER)  # a screen without a filter shows no input line
        yield line
        table: DataTable[Any] = DataTable(cursor_type="row", zebra_stripes=True, id="rows")
        table.add_columns(*self.COLUMNS)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        (self.query_one("#input", Input) if self.TYPE_TO_FILTER else self.rows).focus()

    def action_filter(self) -> None:
        self.query_one("#input", Input).focus()

    @property
    def rows(self) -> DataTable[Any]:
        return self.query_one("#rows", DataTable)

    def action_move(self, by: int) -> None:
        table = self.rows
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + by)))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.open(event.row_key.value)

    def open(self, key: Any) -> None:
        """Enter (or a double click) on a row."""


class TablesScreen(ListScreen):
    """Every table with a detected convention: its history-row count and last change; type to filter."""

    COLUMNS = ("table", "conventions", "history", "history rows", "last change")
    PLACEHOLDER = "type to filter tables; enter opens the highlighted one"

    def __init__(self) -> None:
        super().__init__("tables with a detected history or archive convention")
        self.found: list[list[Any]] = []

    def on_mount(self) -> None:
        super().on_mount()
        self.load(lambda: tables_overview(self.ws), self.show)

    def show(self, found: list[list[Any]]) -> None:
        self.found = found
        self.refill(self.query_one("#input", Input).value)

    def refill(self, needle: str) -> None:
        table = self.rows
        table.clear()
        for row in self.found:
            if needle.lower() in " ".join(map(str, row[:3])).lower():
                table.add_row(*[cell(v, unknown="") for v in row[:4]], when(row[4]) if row[3] != "" else
                              Text("no history", style="dim"), key=row[0])

    def on_input_changed(self, event: Input.Changed) -> None:
        self.refill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        key = cursor_row(self.rows)
        if key is not None:
            self.open(key)

    def open(self, key: Any) -> None:
        self.app.push_screen(RecordsScreen(str(key)))


def tables_overview(ws: Workspace) -> list[list[Any]]:
    """Rows of the tables screen: table, conventions, history store, history rows, time of the newest change."""
    from chrono_cli.services import catalog
    from chrono_cli.services.changes import list_changes

    out = []
    for doc in catalog.list_tables(ws, counts=True).document["tables"]:
        last = None
        if doc["history_rows"] is not None:
            try:
                sets = list_changes(ws, [doc["table"]], limit=1).changesets
            except ChronoError:
                sets = ()
            last = sets[0].at if sets else None
        out.append([doc["table"], ", ".join(doc["conventions"]), ", ".join(doc["history"]),
                    "" if doc["history_rows"] is None else doc["history_rows"], last])
    return out


class RecordsScreen(ListScreen):
    """A table's recently changed records, then its deleted and archived ones (marked); or type a key."""

    COLUMNS = ("key", "state", "at", "actor", "op", "what changed")
    PLACEHOLDER = "type a key (42, id=42, a=1,b=2) and press enter; or pick a row"

    def __init__(self, table: str) -> None:
        super().__init__(f"records of {table}: recent changes, deleted and archived rows")
        self.table_name = table

    def on_mount(self) -> None:
        super().on_mount()
        self.load(lambda: records_overview(self.ws, self.table_name), self.show)

    def show(self, found: list[list[Any]]) -> None:
        table = self.rows
        table.clear()
        for key, state, at, actor, op, what in found:
            style = {"deleted": "red", "archived": "yellow"}.get(state, "")
            table.add_row(key, Text(state, style=style), when(at), cell(actor, unknown=""), op, what, key=key)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        typed = event.value.strip()
        key = typed or cursor_row(self.rows)
        if key is not None:
            self.open(key)

    def open(self, key: Any) -> None:
        from chrono_cli.browse.timeline import TimelineScreen

        self.app.push_screen(TimelineScreen(self.table_name, str(key)))


def records_overview(ws: Workspace, table: str) -> list[list[Any]]:
    """Rows of the records screen: key, deleted/archived, when, who, what the newest change did."""
    from chrono_cli.services import listing
    from chrono_cli.services.changes import list_changes
    from chrono_cli.services.writeset import key_text

    marks: dict[str, tuple[str, Any, Any]] = {}
    for state, lister in (("archived", listing.archived), ("deleted", listing.deleted)):
        try:
            for doc in lister(ws, table, limit=RECENT).document["rows"]:
                marks[key_text(doc["key"])] = (state, doc["when"], doc["actor"])
        except ChronoError:
            pass  # no archive column, or no history store to know deletions from
    rows: dict[str, list[Any]] = {}
    try:
        sets = list_changes(ws, [table], limit=RECENT).changesets
    except ChronoError:
        sets = ()
    for cs in sets:
        for rc in cs.changes:
            key = key_text(rc.key)
            if key not in rows:
                what = "; ".join(f"{f.column}: {_short(f.old)} → {_short(f.new)}" for f in rc.changes)
                rows[key] = [key, marks.get(key, ("",))[0], rc.at, rc.actor, rc.op.value, what]
    for key, (state, at, actor) in marks.items():
        if key not in rows:
            rows[key] = [key, state, at, actor, "", ""]
    return list(rows.values())


def _short(value: Any) -> str:
    from chrono_cli.render.encode import text

    s = text(value)
    return s if len(s) <= 30 else s[:29] + "…"
