"""Driving ``chrono browse`` headless (Textual's pilot) and reading what its screens show."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from chrono_cli.browse.app import BrowseApp
from chrono_cli.config import Config
from chrono_cli.services.workspace import Settings, Workspace

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo.sqlite"
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
T = TypeVar("T")


def workspace(url: str) -> Workspace:
    return Workspace(Settings(url, (), Config()))


def demo_copy(tmp_path: Path) -> str:
    """A private copy of the demo (writes must not touch examples/demo.sqlite)."""
    path = tmp_path / "demo.sqlite"
    shutil.copyfile(DEMO, path)
    return str(path)


def drive(app: BrowseApp, script: Callable[[Pilot[None]], Awaitable[T]], size: tuple[int, int] = (120, 36)) -> T:
    """Run ``app`` headless at ``size`` and ``script`` against it once its first screen has loaded."""

    async def main() -> T:
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            return await script(pilot)

    try:
        return asyncio.run(main())
    finally:
        app.ws.close()


async def settle(pilot: Pilot[None]) -> None:
    """Wait until every service call the screens started has finished and its result is on screen."""
    for _ in range(400):  # a screen's service calls start after its first paint: wait until each is shown
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        screen = pilot.app.screen  # mounted: its on_mount has started the calls it makes (pending counts them)
        if screen.is_mounted and not getattr(screen, "pending", 0):
            break
    for _ in range(100):  # a DataTable measures new rows when idle: on a busy machine that comes late
        pending = [t for t in pilot.app.screen.query(DataTable) if t._require_update_dimensions or t._updated_cells]
        if not pending:
            break
        await pilot.pause()
    await pilot.pause()


async def press(pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


def rows(pilot: Pilot[None], selector: str = "DataTable") -> list[list[str]]:
    """The rows a screen's data table shows, as plain text."""
    table: DataTable[Any] = pilot.app.screen.query_one(selector, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def rich_rows(table: Any) -> list[list[str]]:
    """The rows of a rich Table (the diff, blame and plan screens), as plain text."""
    cells = [[str(c) for c in col._cells] for col in table.columns]
    return [list(r) for r in zip(*cells, strict=True)]


_NOW = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?")
_ID = re.compile(r"terminal-\d+")


def _screen(pilot: Pilot[None]) -> str:
    return _ID.sub("terminal", _NOW.sub("0000-00-00T00:00:00", pilot.app.export_screenshot(title="chrono browse")))


async def snapshot(pilot: Pilot[None], name: str) -> None:
    """Compare the screen's SVG with tests/browse/snapshots/NAME-WxH.svg (CHRONO_UPDATE_SNAPSHOTS=1 rewrites it).

    Times of the write being planned (now) are masked; the demo's own times are fixed and stay. The input's
    cursor stops blinking (shown), so a snapshot does not depend on when it is taken."""
    for line in pilot.app.screen.query(Input):
        line.cursor_blink = False
    await pilot.pause()
    width, height = pilot.app.size
    svg = _screen(pilot)
    for _ in range(40):  # a data table resized by late cells repaints on a later frame: take the screen once still
        await pilot.pause(0.05)
        again = _screen(pilot)
        if again == svg:
            break
        svg = again
    path = SNAPSHOTS / f"{name}-{width}x{height}.svg"
    if os.environ.get("CHRONO_UPDATE_SNAPSHOTS") == "1":
        path.write_text(svg, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}: run with CHRONO_UPDATE_SNAPSHOTS=1 and look at it"
    if svg != path.read_text(encoding="utf-8"):
        actual = Path(tempfile.gettempdir()) / f"chrono-browse-{path.name}"
        actual.write_text(svg, encoding="utf-8")
        raise AssertionError(f"{path.name} changed (now: {actual}): look at it, then CHRONO_UPDATE_SNAPSHOTS=1")
