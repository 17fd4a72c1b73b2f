"""``chrono browse`` on the demo, driven headless: every screen shows what the services (the CLI) read."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from textual.pilot import Pilot

from chrono_cli.browse import timeline as timeline_screen
from chrono_cli.browse.app import BrowseApp, HelpScreen
from chrono_cli.browse.base import when
from chrono_cli.browse.changes import ChangeSetScreen, ChangesScreen
from chrono_cli.browse.tables import RecordsScreen, TablesScreen
from chrono_cli.browse.timeline import TimelineScreen
from chrono_cli.browse.views import BlameScreen, DiffScreen
from chrono_cli.browse.writes import ConfirmScreen
from chrono_cli.render.encode import text
from chrono_cli.services import catalog, listing, read, select
from chrono_cli.services.blame import blame_timeline
from chrono_cli.services.changes import list_changes
from chrono_cli.services.writeset import key_text
from tests.browse.pilot import demo_copy, drive, press, rich_rows, rows, settle, workspace


def _sha(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_tables_records_timeline(tmp_path: Path) -> None:
    url = demo_copy(tmp_path)
    ws = workspace(url)
    tables = catalog.list_tables(ws, counts=True).document["tables"]
    newest = [list_changes(ws, [t["table"]], limit=1).changesets[:1] if t["history_rows"] else [] for t in tables]
    deleted = {key_text(r["key"]) for r in listing.deleted(ws, "users").document["rows"]}
    archived = {key_text(r["key"]) for r in listing.archived(ws, "users").document["rows"]}
    tl = read.history(ws, "users", "42")
    ws.close()

    async def script(pilot: Pilot[None]) -> None:
        assert isinstance(pilot.app.screen, TablesScreen)
        shown = rows(pilot)
        assert [r[0] for r in shown] == [t["table"] for t in tables]
        assert [r[3] for r in shown] == [str(t["history_rows"] or "") for t in tables]
        # the newest change set's time, each table's read in the one catalog the screen reads 30 tables in
        assert [r[4] for r in shown] == [when(n[0].at).plain if n else "no history" if not t["history_rows"]
                                         else "not recorded" for t, n in zip(tables, newest, strict=True)]
        await press(pilot, "u", "s")  # type to filter
        assert [r[0] for r in rows(pilot)] == ["users"]
        await press(pilot, "enter")
        assert isinstance(pilot.app.screen, RecordsScreen)
        states = {r[0]: r[1] for r in rows(pilot)}
        assert {k for k, s in states.items() if s == "deleted"} == deleted
        assert {k for k, s in states.items() if s == "archived"} == archived
        await press(pilot, "4", "2", "enter")
        assert isinstance(pilot.app.screen, TimelineScreen)
        shown = rows(pilot)
        assert [r[1] for r in shown] == [f"p{v.seq}" for v in reversed(tl.versions)]
        assert [r[4] for r in shown] == [text(v.valid_from) if v.valid_from else "not recorded"
                                         for v in reversed(tl.versions)]
        plan = [v.values["plan"] for v in tl.versions if v.values]
        steps = [p for i, p in enumerate(plan) if i == 0 or plan[i - 1] != p]
        strip = str(pilot.app.screen.query_one("#strip").render())
        assert strip == "plan: " + " → ".join(steps)
        await press(pilot, "f")
        assert str(pilot.app.screen.query_one("#strip").render()).startswith("is_archived: ")
        await press(pilot, "escape", "escape")
        assert isinstance(pilot.app.screen, TablesScreen)

    drive(BrowseApp(workspace(url)), script)
    assert _sha(url) == _sha(str(Path(__file__).resolve().parents[2] / "examples" / "demo.sqlite"))  # reads only


@pytest.mark.parametrize("page", [200, 3])  # 3: blame and the diff of a page's oldest version read older pages
def test_diff_blame_and_help(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: int) -> None:
    monkeypatch.setattr(timeline_screen, "PAGE", page)
    url = demo_copy(tmp_path)
    ws = workspace(url)
    tl = read.history(ws, "user", "42")
    ws.close()

    async def script(pilot: Pilot[None]) -> None:
        await press(pilot, "down", "enter")  # p9: what it changed
        screen = pilot.app.screen
        assert isinstance(screen, DiffScreen)
        expected = select.diff(tl, "p8", "p9")
        assert [r[:3] for r in rich_rows(screen.table)] == [[c.column, text(c.old), text(c.new)]
                                                             for c in expected.changes]
        assert rich_rows(screen.table)[0][3] == "Dana Okafor → Dana Whitfield"  # short: old → new, as chrono diff
        await press(pilot, "escape", "up", "space", "down", "down", "down", "space", "d")  # marks p10 and p7
        screen = pilot.app.screen
        assert isinstance(screen, DiffScreen)
        assert screen.heading == "users 42: p7 (version 7) → p10 (version 10)"
        assert [r[0] for r in rich_rows(screen.table)] == [c.column for c in select.diff(tl, "p7", "p10").changes]
        await press(pilot, "escape", "b")  # blame as of the highlighted p7
        screen = pilot.app.screen
        assert isinstance(screen, BlameScreen)
        view = blame_timeline(tl, tl.columns, tl.versions[6])
        assert [(r[0], r[2]) for r in rich_rows(screen.table)] == [
            (b.column, f"p{b.version.seq} (version {b.version.number})" if b.version else "not recorded")
            for b in view.lines]
        await press(pilot, "escape", "question_mark")
        assert isinstance(pilot.app.screen, HelpScreen)
        keys = {tuple(r) for r in rows(pilot)}
        assert {("r", "Restore to this"), ("a", "Archive"), ("b", "Blame"), ("d", "Diff marked")} <= keys
        await press(pilot, "escape")
        assert isinstance(pilot.app.screen, TimelineScreen)

    drive(BrowseApp(workspace(url), table="user", key="42"), script)


def test_read_only_hides_every_write_key(tmp_path: Path) -> None:
    url = demo_copy(tmp_path)
    before = _sha(url)

    async def script(pilot: Pilot[None]) -> None:
        await press(pilot, "down", "r", "a", "u")
        assert isinstance(pilot.app.screen, TimelineScreen)  # no plan, no confirmation screen
        await press(pilot, "question_mark")
        does = {r[1] for r in rows(pilot)}
        assert "Blame" in does and not does & {"Restore to this", "Archive", "Unarchive"}
        await press(pilot, "escape")

    drive(BrowseApp(workspace(url), table="user", key="42", read_only=True), script)

    async def changes(pilot: Pilot[None]) -> None:
        await press(pilot, "v", "V", "enter")
        assert isinstance(pilot.app.screen, ChangeSetScreen)
        await press(pilot, "v", "V")
        assert isinstance(pilot.app.screen, ChangeSetScreen)

    drive(BrowseApp(workspace(url), changes=True, since="2026-11-01", read_only=True), changes)
    assert _sha(url) == before


def test_timeline_pages_lazily(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timeline_screen, "PAGE", 3)
    url = demo_copy(tmp_path)

    async def script(pilot: Pilot[None]) -> None:
        assert [r[1] for r in rows(pilot)] == ["p10", "p9", "p8"]  # one page, newest first
        await press(pilot, "down")
        assert len(rows(pilot)) == 3
        await press(pilot, "down")
        assert len(rows(pilot)) == 6  # on the last row shown: the next page
        await press(pilot, *["down"] * 7)
        assert [r[1] for r in rows(pilot)] == [f"p{n}" for n in range(10, 0, -1)]

    drive(BrowseApp(workspace(url), table="user", key="42"), script)


def test_timeline_reads_the_newest_page_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timeline_screen, "PAGE", 3)
    url = demo_copy(tmp_path)
    ws = workspace(url)
    tl = read.history(ws, "users", "42")
    ws.close()

    def steps(column: str) -> str:
        values = [text(v.values[column]) for v in tl.versions if v.values]
        return " → ".join(p for i, p in enumerate(values) if i == 0 or values[i - 1] != p)

    async def script(pilot: Pilot[None]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, TimelineScreen) and screen.timeline is not None
        assert [v.seq for v in screen.timeline.versions] == [8, 9, 10]  # only the newest page is read
        assert str(screen.query_one("#title").render()).endswith("· 10 versions")
        column = screen.timeline.columns[screen.field]
        strip = str(screen.query_one("#strip").render())  # the older values are not read yet: elided
        assert strip.startswith(f"{column}: … → ") and steps(column).endswith(strip.split(" … → ", 1)[1])
        await press(pilot, *["down"] * 9)
        assert [v.seq for v in screen.timeline.versions] == list(range(1, 11)) and screen.complete
        assert str(screen.query_one("#strip").render()) == f"{column}: {steps(column)}"
        assert [r[1] for r in rows(pilot)] == [f"p{v.seq}" for v in reversed(tl.versions)]
        assert [r[7] for r in rows(pilot)] == [str(timeline_screen._changes(v)) for v in reversed(tl.versions)]

    drive(BrowseApp(workspace(url), table="users", key="42"), script)


def test_archive_asks_then_writes(tmp_path: Path) -> None:
    url = demo_copy(tmp_path)
    before = _sha(url)

    async def script(pilot: Pilot[None]) -> None:
        await press(pilot, "a")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        await press(pilot, "n")  # cancel: nothing written
        assert isinstance(pilot.app.screen, TimelineScreen)
        assert _sha(url) == before
        await press(pilot, "a", "y")
        assert isinstance(pilot.app.screen, TimelineScreen)
        assert rows(pilot)[0][1] == "p11"  # reloaded: the archive is a versioned update

    drive(BrowseApp(workspace(url), table="user", key="42"), script)
    assert _archive_flag_written(url, "user", "42") is True


def _archive_flag_written(url: str, table: str, key: str) -> bool:
    """The archive flag of the record's newest version, a versioned update of that flag alone."""
    ws = workspace(url)
    last = read.history(ws, table, key).versions[-1]
    ws.close()
    assert last.values is not None and [c.column for c in last.changes] == ["is_archived"]
    return bool(last.values["is_archived"])


def test_change_sets_drill_down_and_revert(tmp_path: Path) -> None:
    url = demo_copy(tmp_path)
    ws = workspace(url)
    listed = list_changes(ws, since="2026-11-01", limit=50).changesets
    before_42 = read.history(ws, "user", "42").versions[-2].values
    ws.close()
    before = _sha(url)

    async def script(pilot: Pilot[None]) -> None:
        assert isinstance(pilot.app.screen, ChangesScreen)
        assert [r[0] for r in rows(pilot)] == [cs.id for cs in listed]
        await press(pilot, "enter")
        assert isinstance(pilot.app.screen, ChangeSetScreen)
        assert [r[:3] for r in rows(pilot)] == [[str(c.table), key_text(c.key), c.op.value]
                                                for c in listed[0].changes]
        await press(pilot, "v")
        screen = pilot.app.screen
        assert isinstance(screen, ConfirmScreen)
        assert [i.action for i in screen.plan.items] == ["restore"]
        await press(pilot, "escape")
        assert _sha(url) == before
        await press(pilot, "v", "y")
        assert isinstance(pilot.app.screen, ChangeSetScreen)
        await press(pilot, "enter")  # the reverted row's timeline, reloaded from the database
        assert isinstance(pilot.app.screen, TimelineScreen)
        assert rows(pilot)[0][1] == "p11"

    drive(BrowseApp(workspace(url), changes=True, since="2026-11-01"), script)
    ws = workspace(url)
    now = read.history(ws, "user", "42").versions[-1].values
    ws.close()
    assert now == before_42


def test_mouse_opens_rows(tmp_path: Path) -> None:
    url = demo_copy(tmp_path)

    async def script(pilot: Pilot[None]) -> None:
        await pilot.click("#rows", offset=(3, 2))  # the second table: highlighted
        await press(pilot)
        assert isinstance(pilot.app.screen, TablesScreen)
        await pilot.click("#rows", offset=(3, 2))  # clicked again: opened
        await press(pilot)
        assert isinstance(pilot.app.screen, RecordsScreen)
        assert pilot.app.screen.table_name == "orders"

    drive(BrowseApp(workspace(url)), script)


def test_unarchive_asks_then_writes(tmp_path: Path) -> None:
    url = demo_copy(tmp_path)
    ws = workspace(url)
    key = sorted(key_text(r["key"]) for r in listing.archived(ws, "users").document["rows"])[0]
    ws.close()
    before = _sha(url)

    async def script(pilot: Pilot[None]) -> None:
        await press(pilot, "u")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        assert [i.action for i in pilot.app.screen.plan.items] == ["unarchive"]
        await press(pilot, "n")  # cancel: nothing written
        assert isinstance(pilot.app.screen, TimelineScreen)
        assert _sha(url) == before
        await press(pilot, "u", "y")
        assert isinstance(pilot.app.screen, TimelineScreen)

    drive(BrowseApp(workspace(url), table="users", key=key), script)
    assert _archive_flag_written(url, "users", key) is False


def test_force_revert_writes_over_later_changes_after_confirmation(tmp_path: Path) -> None:
    """v refuses a change set whose rows changed again later (as `chrono revert` does); V is `--force`."""
    from chrono_cli.services.revert import plan_revert

    url = demo_copy(tmp_path)
    ws = workspace(url)
    listed = list_changes(ws, since="2026-11-01", limit=50).changesets
    at, result = next((i, r) for i, r in ((i, plan_revert(ws, cs.id, force=True)) for i, cs in enumerate(listed))
                      if r.conflicts and not r.blocked and r.plan is not None)
    ws.close()
    before = _sha(url)

    async def script(pilot: Pilot[None]) -> None:
        await press(pilot, *["down"] * at, "v")
        assert isinstance(pilot.app.screen, ChangesScreen)  # refused: nothing planned, nothing written
        await press(pilot, "V")
        screen = pilot.app.screen
        assert isinstance(screen, ConfirmScreen)
        assert [(i.action, i.table, i.key) for i in screen.plan.items] == \
            [(i.action, i.table, i.key) for i in result.plan.items]
        await press(pilot, "n")
        assert _sha(url) == before
        await press(pilot, "V", "y")
        assert isinstance(pilot.app.screen, ChangesScreen)

    drive(BrowseApp(workspace(url), changes=True, since="2026-11-01"), script)
    assert _sha(url) != before
    ws = workspace(url)
    again = plan_revert(ws, listed[at].id, force=True)
    ws.close()
    assert again.plan is None  # every row is now as it was before the change set



async def to_the_end(pilot: Pilot[None], most: int) -> None:
    """The cursor to the last row (ctrl+end), again and again: each time the screen reads the next page, until none
    is left (at most ``most`` times)."""
    for _ in range(most):
        count = len(rows(pilot))
        await press(pilot, "ctrl+end")
        for _ in range(200):  # the page is read by a worker
            if not pilot.app.screen.fetching:  # type: ignore[attr-defined]
                break
            await pilot.pause(0.01)
        await settle(pilot)
        if len(rows(pilot)) == count:
            return

def test_change_sets_page_as_the_cursor_goes_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chrono_cli.browse import changes as changes_screen

    monkeypatch.setattr(changes_screen, "PAGE", 8)
    url = demo_copy(tmp_path)
    ws = workspace(url)
    listed = [cs.id for cs in list_changes(ws, since="2026-11-01", limit=1000).changesets]
    ws.close()
    assert len(listed) > 16  # more than two pages

    async def script(pilot: Pilot[None]) -> None:
        assert [r[0] for r in rows(pilot)] == listed[:8]  # one page (the cursor on its first row)
        await press(pilot, "down", "down", "down", "down")
        assert [r[0] for r in rows(pilot)] == listed[:8]  # not yet
        await press(pilot, "down")
        assert [r[0] for r in rows(pilot)] == listed[:16]  # a quarter page before its end: the next one
        await to_the_end(pilot, len(listed))
        assert [r[0] for r in rows(pilot)] == listed  # every change set, none twice, none left out

    drive(BrowseApp(workspace(url), changes=True, since="2026-11-01"), script)


def test_records_page_as_the_cursor_goes_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chrono_cli.browse import tables as tables_screen

    monkeypatch.setattr(tables_screen, "RECENT", 4)  # 91 change sets of 50 records: some 23 pages
    url = demo_copy(tmp_path)
    ws = workspace(url)
    every = list_changes(ws, ["users"], limit=10_000).changesets
    first = list_changes(ws, ["users"], limit=2).changesets
    marked = {key_text(r["key"]) for lister in (listing.deleted, listing.archived)
              for r in lister(ws, "users", limit=2).document["rows"]}
    ws.close()
    newest = list(dict.fromkeys(key_text(c.key) for cs in first for c in cs.changes))
    changed = {key_text(c.key) for cs in every for c in cs.changes}
    assert len(changed) > len(newest) + len(marked)  # more than the first page shows

    async def script(pilot: Pilot[None]) -> None:
        shown = [r[0] for r in rows(pilot)]
        assert shown[:len(newest)] == newest and set(shown) == set(newest) | marked  # one page, then the marks
        await press(pilot, "tab")  # from the key input to the list
        await to_the_end(pilot, len(changed) + len(marked))
        shown = [r[0] for r in rows(pilot)]
        assert len(shown) == len(set(shown)) and set(shown) == changed | marked  # every record once
        states = {r[0]: r[1] for r in rows(pilot)}
        assert all(states[k] in ("deleted", "archived") for k in marked)

    drive(BrowseApp(workspace(url), table="users"), script)


def test_tables_are_counted_a_page_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from chrono_cli.browse import tables as tables_screen

    monkeypatch.setattr(tables_screen, "STATS", 2)
    url = demo_copy(tmp_path)
    ws = workspace(url)
    docs = catalog.list_tables(ws, counts=True).document["tables"]
    ws.close()
    counts = [str(d["history_rows"] if d["history_rows"] is not None else "") for d in docs]
    assert [d["table"] for d in docs] == ["articles", "orders", "sessions", "users"] and counts[2] == ""

    async def script(pilot: Pilot[None]) -> None:
        assert [r[3] for r in rows(pilot)] == [*counts[:3], "…"]  # the rows in reach of the cursor, and no-history
        assert rows(pilot)[2][4] == "no history" and rows(pilot)[3][4] == "…"
        await press(pilot, "down", "down")
        assert [r[3] for r in rows(pilot)] == counts
        assert rows(pilot)[3][4] != "…"

    drive(BrowseApp(workspace(url)), script)


@pytest.mark.parametrize(("table", "marked"), [("users", {"7": "deleted", "13": "archived"}),
                                               ("articles", {"3": "archived"})])
def test_records_of_an_older_page_are_marked_as_the_table_says(tmp_path: Path, table: str,
                                                              marked: dict[str, str]) -> None:
    """A page of changes read after the screen's first marks (here: no marks at all, as for a record deleted
    before the newest deleted rows the screen read first) still marks each record as its live row says."""
    from chrono_cli.browse.tables import older_records

    ws = workspace(demo_copy(tmp_path))
    try:
        found, _ = older_records(ws, table, None, {})
        states = {key: state for key, state, *_ in found}
        assert set(marked) <= set(states), states  # the demo's older changes touched them
        assert states == {key: marked.get(key, "") for key in states}
    finally:
        ws.close()
