"""A timeline read a page at a time, newest page first (what ``chrono browse`` shows first), is the timeline.

``read.history_pages`` reads a window of versions where the store can (history_meta, Chrononaut 0.2: old-state
stores) and reads the rest whole once; either way the pages, put back together, must be exactly the timeline
``chrono history`` reads: the same versions, positions, changes, times, actors and notes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, create_engine, select, text

from chrono_cli.model import Op, Timeline, Version
from chrono_cli.services import read
from chrono_cli.services.changes import list_changes
from chrono_cli.services.history import load_page
from chrono_cli.services.target import open_target
from chrono_cli.services.workspace import Workspace
from chrono_cli.services.writeset import key_text
from tests.browse.pilot import demo_copy, workspace

TABLES = (
    "CREATE TABLE appuser (id integer PRIMARY KEY, email varchar(120) NOT NULL, name varchar(80), "
    "version integer NOT NULL)",
    "CREATE TABLE appuser_history (id integer NOT NULL, email varchar(120) NOT NULL, name varchar(80), "
    "version integer NOT NULL, changed timestamp, PRIMARY KEY (id, version))",
)


def assert_pages_are_the_timeline(ws: Workspace, table: str, key: str, size: int, whole: Timeline) -> list[Timeline]:
    """Pages of at most ``size`` versions, newest first, each oldest first, that together are ``whole``."""
    pages = list(read.history_pages(ws, table, key, size=size))
    assert pages and all(0 < len(p.versions) <= size for p in pages), (table, key, size)
    assert all(len(p.versions) == size for p in pages[:-1]), (table, key, size)  # only the oldest page is short
    together = [v for p in reversed(pages) for v in p.versions]
    assert together == list(whole.versions), (table, key, size, _first_difference(together, list(whole.versions)))
    assert {c for p in pages for c in p.columns} <= set(whole.columns)
    assert all(p.table == whole.table and p.convention == whole.convention for p in pages)
    return pages


def _first_difference(paged: list[Version], whole: list[Version]) -> Any:
    """Where two version lists part: the position and the fields that differ (a readable failure)."""
    for a, b in zip(paged, whole, strict=False):
        if a != b:
            return a.seq, {f: (getattr(a, f), getattr(b, f)) for f in a.__slots__ if getattr(a, f) != getattr(b, f)}
    return len(paged), len(whole)


def _keys(ws: Workspace, path: str, table: str) -> list[str]:
    """Every key the demo's table holds or its history knows (a change listing reaches deleted rows too)."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        t = Table(table, MetaData(), autoload_with=conn)
        live = [str(k) for k in conn.execute(select(t.c.id)).scalars()]
    engine.dispose()
    changed = [key_text(c.key) for cs in list_changes(ws, [table], limit=10_000).changesets for c in cs.changes]
    return list(dict.fromkeys([*live, *changed]))


def test_every_demo_record_pages_into_its_timeline(tmp_path: Path) -> None:
    path = demo_copy(tmp_path)
    ws = workspace(path)
    try:
        looked = 0
        for table in ("users", "articles", "orders"):  # history-meta, potion, versioned-rows
            for key in _keys(ws, path, table):
                whole = read.history(ws, table, key)
                for size in (1, 2, 3, len(whole.versions), 200):
                    assert_pages_are_the_timeline(ws, table, key, size, whole)
                looked += 1
        assert looked > 10
    finally:
        ws.close()


def _fill(url: str, rows: list[dict[str, Any]], live: list[dict[str, Any]]) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in TABLES:
            conn.execute(text(statement))
        conn.execute(text("INSERT INTO appuser_history VALUES (:id, :email, :name, :version, :changed)"), rows)
        if live:
            conn.execute(text("INSERT INTO appuser VALUES (:id, :email, :name, :version)"), live)
    engine.dispose()


def test_old_state_pages_read_windows_at_every_boundary(sqlite_or_pg_url: str) -> None:
    """history_meta: a record with history and its live row, a deleted one, one never changed, one unknown."""
    rows = [{"id": i, "email": f"u{i}@example.com", "name": f"{i} v{v}", "version": v,
             "changed": f"2026-01-0{v} 10:00:00"} for i, n in ((1, 6), (2, 4)) for v in range(1, n + 1)]
    live = [{"id": 1, "email": "u1@example.com", "name": "1 v7", "version": 7},
            {"id": 3, "email": "u3@example.com", "name": "3 v1", "version": 1}]
    _fill(sqlite_or_pg_url, rows, live)
    ws = workspace(sqlite_or_pg_url)
    try:
        shapes = {}
        for key in ("1", "2", "3"):
            whole = read.history(ws, "appuser", key)
            shapes[key] = [v.op for v in whole.versions]
            for size in range(1, len(whole.versions) + 2):
                assert_pages_are_the_timeline(ws, "appuser", key, size, whole)
        assert shapes == {"1": [Op.INSERT, *[Op.UPDATE] * 6], "2": [Op.INSERT, *[Op.UPDATE] * 3, Op.DELETE],
                          "3": [Op.INSERT]}
        with ws.catalog() as cat:
            target = open_target(cat, "appuser")
            assert load_page(cat, target, "1", None, None, 2) is not None  # read by window, not whole
            beyond = load_page(cat, target, "1", None, 1, 2)  # nothing older than the first version
            assert beyond is not None and beyond.versions == ()
        pages = list(read.history_pages(ws, "appuser", "1", size=3))
        # each page's oldest version changed something: its predecessor (on the next page) was read with it
        assert [[v.seq for v in p.versions] for p in pages] == [[5, 6, 7], [2, 3, 4], [1]]
        assert [c.new for c in pages[1].versions[0].changes] == ["1 v2"]
    finally:
        ws.close()


def test_a_10000_version_record_pages_by_window(sqlite_or_pg_url: str) -> None:
    n = 10_000
    rows = [{"id": 1, "email": "u1@example.com", "name": f"name v{v}", "version": v,
             "changed": f"2026-01-01 {v // 3600:02d}:{v // 60 % 60:02d}:{v % 60:02d}"} for v in range(1, n)]
    _fill(sqlite_or_pg_url, rows, [{"id": 1, "email": "u1@example.com", "name": f"name v{n}", "version": n}])
    ws = workspace(sqlite_or_pg_url)
    try:
        whole = read.history(ws, "appuser", "1")
        assert len(whole.versions) == n
        pages = assert_pages_are_the_timeline(ws, "appuser", "1", 200, whole)
        assert len(pages) == n // 200 and pages[0].versions[-1].current
        with ws.catalog() as cat:
            page = load_page(cat, open_target(cat, "appuser"), "1", None, 5001, 200)
        assert page is not None and [v.seq for v in page.versions] == list(range(4801, 5001))
    finally:
        ws.close()


def test_a_long_simple_history_record_pages_by_window(sqlite_or_pg_url: str) -> None:
    """django-simple-history's layout, written by hand: 2,000 saves with deletions and re-creations among them,
    then a write the history did not record (the live row differs from the newest historical row)."""
    engine = create_engine(sqlite_or_pg_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE shop_item (id integer PRIMARY KEY, name varchar(40))"))
        conn.execute(text("CREATE TABLE shop_historicalitem (id integer NOT NULL, name varchar(40), "
                          "history_id integer PRIMARY KEY, history_date timestamp NOT NULL, "
                          "history_change_reason varchar(100), history_type varchar(1) NOT NULL, "
                          "history_user_id integer)"))
        kinds = ["+" if v == 1 or v % 500 == 1 else "-" if v % 500 == 0 else "~" for v in range(1, 2001)]
        conn.execute(text("INSERT INTO shop_historicalitem VALUES (1, :name, :v, :at, :why, :kind, NULL)"),
                     [{"name": f"n{v // 3}", "v": v, "at": f"2026-02-01 {v // 3600:02d}:{v // 60 % 60:02d}:"
                       f"{v % 60:02d}", "why": f"save {v}" if v % 7 else None, "kind": kinds[v - 1]}
                      for v in range(1, 2001)])
        conn.execute(text("INSERT INTO shop_item VALUES (1, 'changed behind the history')"))
    engine.dispose()
    ws = workspace(sqlite_or_pg_url)
    try:
        whole = read.history(ws, "shop_item", "1")
        assert whole.convention == "simple-history" and len(whole.versions) == 2001
        assert [v.op for v in whole.versions[498:502]] == [Op.UPDATE, Op.DELETE, Op.INSERT, Op.UPDATE]
        assert whole.versions[-1].current and whole.versions[-1].note
        for size in (97, 200):
            assert_pages_are_the_timeline(ws, "shop_item", "1", size, whole)
        with ws.catalog() as cat:
            assert load_page(cat, open_target(cat, "shop_item"), "1", None, 1001, 200) is not None
    finally:
        ws.close()
