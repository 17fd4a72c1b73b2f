"""A JSON document kept in a text column is diffed by path in browse, as a json column is."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text
from textual.pilot import Pilot

from chrono_cli.browse.app import BrowseApp
from chrono_cli.browse.views import DiffScreen
from tests.browse.pilot import drive, press, rich_rows, workspace

OLD = '{"theme": "light", "tags": ["a", "b"], "limits": {"seats": 5}}'
NEW = '{"theme": "dark", "tags": ["a"], "limits": {"seats": 5, "rooms": 2}}'


def test_json_text_column_is_diffed_by_path(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'prefs.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:  # history_meta's shape: the history row holds the state before the change
        conn.execute(
            text("CREATE TABLE pref (id INTEGER PRIMARY KEY, settings TEXT, note TEXT, version INTEGER NOT NULL)")
        )
        conn.execute(
            text(
                "CREATE TABLE pref_history (id INTEGER NOT NULL, settings TEXT, note TEXT, "
                "version INTEGER NOT NULL, changed DATETIME, PRIMARY KEY (id, version))"
            )
        )
        conn.execute(
            text("INSERT INTO pref_history VALUES (1, :old, '{not json', 1, '2026-11-01 09:00:00')"), {"old": OLD}
        )
        conn.execute(text("INSERT INTO pref VALUES (1, :new, '{still not json', 2)"), {"new": NEW})
    engine.dispose()

    async def script(pilot: Pilot[None]) -> None:
        await press(pilot, "enter")  # p2: what it changed
        screen = pilot.app.screen
        assert isinstance(screen, DiffScreen)
        shown = {r[0]: r[3] for r in rich_rows(screen.table)}
        assert shown["settings"].splitlines() == [  # as chrono diff shows it (render/finediff.py)
            'settings.theme: "light" → "dark"',
            'settings.tags[1]: "b" → removed',
            "settings.limits.rooms: added → 2",
        ]
        assert shown["note"] == "{not json → {still not json"  # not JSON, and short: old → new, as for any text

    drive(BrowseApp(workspace(url), table="pref", key="1"), script)
