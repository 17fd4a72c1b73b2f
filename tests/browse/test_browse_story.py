"""``chrono browse`` on history written by a real library (SQLAlchemy's history_meta example), SQLite and
PostgreSQL: the screens show what the library wrote, and a restore made in the browser is the very restore
``chrono restore`` makes (same row, same history rows)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import MetaData, create_engine, select
from textual.pilot import Pilot

from chrono_cli.browse.app import BrowseApp
from chrono_cli.browse.tables import RecordsScreen
from chrono_cli.browse.timeline import TimelineScreen
from chrono_cli.browse.writes import ConfirmScreen
from chrono_cli.services import catalog
from tests.browse.pilot import drive, press, rows, workspace
from tests.conftest import StoryClone
from tests.integration.restore_support import chrono, history_meta_clone


def _dump(url: str, since: datetime) -> dict[str, list[tuple[Any, ...]]]:
    """appuser 1 and its history rows; times written by the restore itself (now) masked."""
    engine = create_engine(url)
    try:
        md = MetaData()
        md.reflect(engine, only=["appuser", "appuser_history"])
        out = {}
        with engine.connect() as conn:
            for name in ("appuser", "appuser_history"):
                t = md.tables[name]
                rows = conn.execute(select(t).where(t.c.id == 1).order_by(*t.primary_key.columns)).all()
                out[name] = [tuple("<now>" if isinstance(v, datetime) and v.replace(tzinfo=None) >= since else v
                                   for v in r) for r in rows]
        return out
    finally:
        engine.dispose()


def test_browse_restore_is_the_cli_restore(runner, sqlite_or_pg_backend: str, story_clone: StoryClone) -> None:
    cli_url, rec = history_meta_clone(story_clone, sqlite_or_pg_backend)
    url, _ = history_meta_clone(story_clone, sqlite_or_pg_backend)
    written = rec["timelines"]["appuser"][1]  # what the library wrote, oldest first
    ws = workspace(url)
    tables = [t["table"] for t in catalog.list_tables(ws).document["tables"]]
    ws.close()
    since = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)
    untouched = _dump(url, since)

    async def script(pilot: Pilot[None]) -> None:
        assert [r[0] for r in rows(pilot)] == tables
        await press(pilot, *"appuser", "enter")
        assert isinstance(pilot.app.screen, RecordsScreen)
        await press(pilot, "1", "enter")
        assert isinstance(pilot.app.screen, TimelineScreen)
        shown = rows(pilot)
        assert [r[3] for r in shown] == [s["op"] for s in reversed(written)]
        assert [r[2] for r in shown] == [str(s["version"]) + (" (current)" if i == 0 else "")
                                         for i, s in enumerate(reversed(written))]
        await press(pilot, *["down"] * (len(written) - 2), "r")  # p2
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await press(pilot, "n")
        assert isinstance(pilot.app.screen, TimelineScreen)
        assert _dump(url, since) == untouched  # cancelled: nothing written
        await press(pilot, "r", "y")
        assert isinstance(pilot.app.screen, TimelineScreen)
        assert len(rows(pilot)) == len(written) + 1

    drive(BrowseApp(workspace(url)), script)
    result = chrono(runner, cli_url, "restore", "appuser", "1", "--version", "p2", "--yes")
    assert result.exit_code == 0, result.output
    browsed, restored = _dump(url, since), _dump(cli_url, since)
    assert browsed != untouched
    assert browsed == restored
