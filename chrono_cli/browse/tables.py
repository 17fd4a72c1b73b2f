"""The tables screen (every detected table) and a table's records (recent changes, deleted, archived, a key)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Input, Static

from chrono_cli.browse.base import BrowseScreen, cell, cursor_row, when
from chrono_cli.errors import ChronoError
from chrono_cli.services.workspace import Workspace

if TYPE_CHECKING:
    from chrono_cli.model import RowKey

RECENT = 50  # change sets read for a table's records screen at a time
STATS = 30  # tables whose history rows and last change are read at a time


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
    """Every table with a detected convention; its history-row count and last change are read a page at a time
    (the rows in view first, more as the cursor goes down); type to filter."""

    COLUMNS = ("table", "conventions", "history", "history rows", "last change")
    PLACEHOLDER = "type to filter tables; enter opens the highlighted one"

    def __init__(self) -> None:
        super().__init__("tables with a detected history or archive convention")
        self.found: dict[str, list[Any]] = {}  # table -> [table, conventions, history, history rows, last change]
        self.counted: set[str] = set()  # tables whose history rows and last change are read
        self.fetching = False

    def on_mount(self) -> None:
        from chrono_cli.services import catalog

        super().on_mount()
        self.load(lambda: catalog.list_tables(self.ws).document["tables"], self.show)

    def show(self, docs: list[dict[str, Any]]) -> None:
        self.found = {d["table"]: [d["table"], ", ".join(d["conventions"]), ", ".join(d["history"]), "", None]
                      for d in docs}
        self.counted = {d["table"] for d in docs if not d["history"]}  # no history store: nothing to count
        self.refill(self.query_one("#input", Input).value)

    def refill(self, needle: str) -> None:
        table = self.rows
        table.clear()
        for name, row in self.found.items():
            if needle.lower() in " ".join(map(str, row[:3])).lower():
                table.add_row(*[cell(v, unknown="") for v in row[:3]], *self._stats(name), key=name)
        self.count_from(0)

    def _stats(self, name: str) -> list[Text]:
        row = self.found[name]
        if name not in self.counted:
            return [Text("…", style="dim"), Text("…", style="dim")]
        if row[3] == "":
            return [Text(""), Text("no history", style="dim")]
        return [cell(row[3]), when(row[4])]

    def count_from(self, index: int) -> None:
        """Where a table from row ``index`` to a page below it is not counted yet: read the next page of counts.
        (A read that fails says so once and stops the counting: the cells keep "…", never a guess.)"""
        keys = [str(r.value) for r in self.rows.rows]
        if self.fetching or all(k in self.counted for k in keys[index:index + STATS]):
            return
        from chrono_cli.services import catalog

        todo = [k for k in keys[index:] if k not in self.counted][:STATS]
        self.fetching = True
        self.load(lambda: catalog.table_stats(self.ws, todo), self.counted_in)

    def counted_in(self, stats: dict[str, tuple[int | None, Any]]) -> None:
        self.fetching = False
        table = self.rows
        columns = [c.key for c in table.ordered_columns]
        for name, (rows, last) in stats.items():
            self.found[name][3:5] = ["" if rows is None else rows, last]
            self.counted.add(name)
            if name in table.rows:
                for column, value in zip(columns[3:], self._stats(name), strict=True):
                    table.update_cell(name, column, value, update_width=True)
        # Textual's DataTable widens a column when idle but keeps the cells it drew before at the old width (its
        # cell cache knows no widths): once widened, change a cell again so every cell is drawn anew
        table.call_after_refresh(self._redraw)
        self.count_from(max(0, table.cursor_row))

    def _redraw(self) -> None:
        table = self.rows
        if table.row_count:
            row = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
            column = table.ordered_columns[0].key
            table.update_cell(row, column, table.get_cell(row, column))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.count_from(event.cursor_row)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.refill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        key = cursor_row(self.rows)
        if key is not None:
            self.open(key)

    def open(self, key: Any) -> None:
        self.app.push_screen(RecordsScreen(str(key)))


class RecordsScreen(ListScreen):
    """A table's recently changed records, then its deleted and archived ones (marked); or type a key. Older
    changes are read a page at a time as the cursor goes down (the ``chrono changes --before`` cursor)."""

    COLUMNS = ("key", "state", "at", "actor", "op", "what changed")
    PLACEHOLDER = "type a key (42, id=42, a=1,b=2) and press enter; or pick a row"

    def __init__(self, table: str) -> None:
        super().__init__(f"records of {table}: recent changes, deleted and archived rows")
        self.table_name = table
        self.marks: dict[str, tuple[str, Any, Any]] = {}
        self.next_before: str | None = None  # the cursor of the next page of changes (None: the listing ended)
        self.fetching = False

    def on_mount(self) -> None:
        super().on_mount()
        self.fetching = True
        self.load(lambda: records_overview(self.ws, self.table_name), self.show)

    def show(self, found: tuple[list[list[Any]], dict[str, tuple[str, Any, Any]], str | None]) -> None:
        rows, self.marks, self.next_before = found
        self.fetching = False
        self.rows.clear()
        self.add(rows)

    def add(self, found: list[list[Any]]) -> None:
        table = self.rows
        for key, state, at, actor, op, what in found:
            if key in table.rows:
                continue  # shown already: its newest change, or its mark
            style = {"deleted": "red", "archived": "yellow"}.get(state, "")
            table.add_row(key, Text(state, style=style), when(at), cell(actor, unknown=""), op, what, key=key)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.older(event.cursor_row)

    def older(self, cursor: int) -> None:
        """A quarter page before the end: the records of the next page of older changes."""
        if cursor >= self.rows.row_count - 1 - RECENT // 4 and self.next_before and not self.fetching:
            before, self.fetching = self.next_before, True
            self.load(lambda: older_records(self.ws, self.table_name, before, self.marks), self.more)

    def more(self, found: tuple[list[list[Any]], str | None]) -> None:
        rows, self.next_before = found
        self.fetching = False
        self.add(rows)
        self.older(self.rows.cursor_row)  # a page of records shown already: the cursor is still near the end

    def on_input_submitted(self, event: Input.Submitted) -> None:
        typed = event.value.strip()
        key = typed or cursor_row(self.rows)
        if key is not None:
            self.open(key)

    def open(self, key: Any) -> None:
        from chrono_cli.browse.timeline import TimelineScreen

        self.app.push_screen(TimelineScreen(self.table_name, str(key)))


def records_overview(ws: Workspace, table: str) -> tuple[list[list[Any]], dict[str, tuple[str, Any, Any]], str | None]:
    """Rows of the records screen (key, deleted/archived, when, who, what the newest change did): the records of
    the newest page of changes, then the deleted and archived ones; the marks; the cursor of the next page."""
    from chrono_cli.services import listing
    from chrono_cli.services.writeset import key_text

    marks: dict[str, tuple[str, Any, Any]] = {}
    for state, lister in (("archived", listing.archived), ("deleted", listing.deleted)):
        try:
            for doc in lister(ws, table, limit=RECENT).document["rows"]:
                marks[key_text(doc["key"])] = (state, doc["when"], doc["actor"])
        except ChronoError:
            pass  # no archive column, or no history store to know deletions from
    rows, next_before = older_records(ws, table, None, marks)
    shown = {r[0] for r in rows}
    rows += [[key, state, at, actor, "", ""] for key, (state, at, actor) in marks.items() if key not in shown]
    return rows, marks, next_before


def older_records(ws: Workspace, table: str, before: str | None,
                  marks: dict[str, tuple[str, Any, Any]]) -> tuple[list[list[Any]], str | None]:
    """The records a page of ``table``'s changes older than ``before`` touched, each with its newest change there
    and its mark; and the cursor of the page after (None: the listing ended)."""
    from chrono_cli.services.changes import list_changes
    from chrono_cli.services.listing import marks as listing_marks
    from chrono_cli.services.writeset import key_text

    try:
        listing = list_changes(ws, [table], limit=RECENT, before=before)
    except ChronoError:
        return [], None
    rows: dict[str, list[Any]] = {}
    keys: dict[str, RowKey] = {}
    for cs in listing.changesets:
        for rc in cs.changes:
            key = key_text(rc.key)
            if key not in rows:
                what = "; ".join(f"{f.column}: {_short(f.old)} → {_short(f.new)}" for f in rc.changes)
                rows[key] = [key, marks.get(key, ("",))[0], rc.at, rc.actor, rc.op.value, what]
                keys[key] = rc.key
    # the marks read first are the newest deleted and archived rows: a record of an older page is asked itself
    unmarked = [k for t, k in keys.items() if t not in marks]
    try:
        now = listing_marks(ws, table, unmarked)
    except ChronoError:
        now = {}
    for text, state in now.items():
        rows[text][1] = state
    return list(rows.values()), listing.next_before


def _short(value: Any) -> str:
    from chrono_cli.render.encode import text

    s = text(value)
    return s if len(s) <= 30 else s[:29] + "…"
