"""What every browse screen shares: loading through a service off the UI thread, and errors shown, not raised."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from rich.text import Text
from textual.screen import Screen
from textual.widgets import DataTable

from chrono_cli.errors import ChronoError
from chrono_cli.render.encode import text

if TYPE_CHECKING:
    from chrono_cli.browse.app import BrowseApp
    from chrono_cli.services.workspace import Workspace

T = TypeVar("T")
WRITE_ACTIONS = frozenset({"restore", "archive", "unarchive", "revert", "force_revert"})


class BrowseScreen(Screen[None]):
    """A screen that reads through services in a worker thread and shows a ChronoError as a notification."""

    pending = 0  # service calls started and not yet shown (a call starts after the next paint)

    @property
    def browser(self) -> BrowseApp:
        return self.app  # type: ignore[return-value]

    @property
    def ws(self) -> Workspace:
        return self.browser.ws

    def load(self, fetch: Callable[[], T], done: Callable[[T], None]) -> None:
        """Run ``fetch`` (a service call) in a thread, then ``done`` with its result on the UI thread."""

        def work() -> None:
            try:
                result = fetch()
            except ChronoError as exc:
                self.app.call_from_thread(self._finish, self.fail, exc)
                return
            self.app.call_from_thread(self._finish, done, result)

        self.pending += 1
        # after the next paint: the screen shows at once, the service call does not hold the first frame up
        self.call_after_refresh(self.run_worker, work, thread=True, exclusive=False, group="load")

    def _finish(self, then: Callable[[Any], None], value: Any) -> None:
        try:
            then(value)
        finally:
            self.pending -= 1

    def fail(self, exc: ChronoError) -> None:
        """A service said no: one line (and its hint), like the CLI's ``error:`` line."""
        message = f"error: {exc}" + (f"\nhint: {exc.hint}" if exc.hint else "")
        self.notify(message, severity="error", timeout=8)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """--read-only: every write key is gone (not shown, not bound)."""
        if action in WRITE_ACTIONS and self.browser.read_only:
            return False
        return True


def cell(value: Any, *, unknown: str = "NULL") -> Text:
    """A value as the CLI's table shows it: NULL dim, never rich markup."""
    if value is None:
        return Text(unknown, style="dim")
    return Text(text(value))


def when(value: Any) -> Text:
    """A time, or 'not recorded' where the store keeps none (never a guess)."""
    return cell(value, unknown="not recorded")


def cursor_row(table: DataTable[Any]) -> Any:
    """The key of the highlighted row, or None on an empty table."""
    if table.row_count == 0:
        return None
    return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
