"""The browse application: which screen it starts on, the keys every screen has, and the help screen."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from chrono_cli.services.workspace import Workspace


class HelpScreen(ModalScreen[None]):
    """``?``: the keys of the screen below, as its footer would list them, plus the global ones."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: auto; max-width: 90%; height: auto; max-height: 90%;
                            border: round $accent; padding: 0 1; background: $surface; }
    """

    def __init__(self, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        table: DataTable[str] = DataTable(cursor_type="none", show_cursor=False)
        table.add_columns("key", "does")
        for key, does in self.keys:
            table.add_row(key, does)
        with Vertical():
            yield Static("[b]Keys[/b] (mouse: click a row, double-click opens it)")
            yield table


class BrowseApp(App[None]):
    """``chrono browse``: tables -> records -> timeline (diff, blame, restore), or change sets."""

    TITLE = "chrono browse"
    BINDINGS = [Binding("question_mark", "help", "Keys"), Binding("q", "quit", "Quit"),
                Binding("escape", "back", "Back", show=False)]

    def __init__(self, ws: Workspace, *, table: str | None = None, key: str | None = None,
                 convention: str | None = None, changes: bool = False, since: str | None = None,
                 read_only: bool = False) -> None:
        super().__init__()
        self.ws = ws
        self.read_only = read_only
        self.convention = convention
        self._start = (table, key, changes, since)
        if read_only:
            self.sub_title = "read-only"

    def on_mount(self) -> None:
        # only the first screen's module: the others are imported when the user opens them (startup time)
        table, key, changes, since = self._start
        if changes:
            from chrono_cli.browse.changes import ChangesScreen

            self.push_screen(ChangesScreen(since))
        elif table is not None and key is not None:
            from chrono_cli.browse.timeline import TimelineScreen

            self.push_screen(TimelineScreen(table, key))
        else:
            from chrono_cli.browse.tables import RecordsScreen, TablesScreen

            self.push_screen(RecordsScreen(table) if table is not None else TablesScreen())

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        own = [(b.binding.key_display or self.get_key_display(b.binding), b.binding.description)
               for b in self.screen.active_bindings.values()
               if b.enabled and b.binding.description and b.node in (self.screen, self)]
        moves = [("↑ ↓ pgup pgdn home end", "move in a list"), ("enter / double click", "open the highlighted row"),
                 ("escape", "back")]
        self.push_screen(HelpScreen(list(dict.fromkeys([*own, *moves]))))

    async def action_back(self) -> None:
        """Escape: back to the previous screen; on the first one, nothing (q quits)."""
        if len(self.screen_stack) > 2:
            await self.pop_screen()
