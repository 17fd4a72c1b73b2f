"""SVG snapshots of every browse screen on the demo at 80x24 and 160x48 (README shows the 160x48 ones).

The demo's times are fixed; the time of a planned write and the OS user (the plan's actor) are pinned or masked."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from chrono_cli.browse.app import BrowseApp
from tests.browse.pilot import demo_copy, drive, press, snapshot, workspace


@pytest.fixture(params=[(80, 24), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
def size(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(name, "support")
    return request.param  # type: ignore[no-any-return]


def test_record_screens(tmp_path: Path, size: tuple[int, int]) -> None:
    async def script(pilot: Pilot[None]) -> None:
        await snapshot(pilot, "tables")
        await press(pilot, *"users", "enter")
        await snapshot(pilot, "records")
        await press(pilot, "4", "2", "enter")
        await snapshot(pilot, "timeline")
        await press(pilot, "down", "enter")
        await snapshot(pilot, "diff")
        await press(pilot, "escape", "b")
        await snapshot(pilot, "blame")
        await press(pilot, "escape", "question_mark")
        await snapshot(pilot, "help")
        await press(pilot, "escape", "r")
        await snapshot(pilot, "confirm")
        await press(pilot, "n")

    drive(BrowseApp(workspace(demo_copy(tmp_path))), script, size=size)


def test_change_set_screens(tmp_path: Path, size: tuple[int, int]) -> None:
    async def script(pilot: Pilot[None]) -> None:
        await snapshot(pilot, "changes")
        await press(pilot, "enter")
        await snapshot(pilot, "changeset")

    drive(BrowseApp(workspace(demo_copy(tmp_path)), changes=True, since="2026-11-01"), script, size=size)
