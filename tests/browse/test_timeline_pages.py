"""A timeline read a page at a time, newest page first (what ``chrono browse`` shows first), is the timeline.

``read.history_pages`` reads a window of versions where the store can (history_meta, Chrononaut 0.2,
django-simple-history, SQLAlchemy-Continuum) and reads the rest whole once; either way the pages, put back
together, must be exactly the timeline ``chrono history`` reads: the same versions, positions, changes, times,
actors and notes.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, create_engine, select, text

from chrono_cli.config import load
from chrono_cli.model import Op, Timeline, Version
from chrono_cli.services import read
from chrono_cli.services.changes import list_changes
from chrono_cli.services.history import load_page
from chrono_cli.services.target import open_target
from chrono_cli.services.workspace import Settings, Workspace
from chrono_cli.services.writeset import key_text
from tests.browse.pilot import demo_copy, workspace
from tests.support import audit_logs
from tests.support.declared import CONFIGS, in_table

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


def _assert_long_record(ws: Workspace, table: str, convention: str, n: int, deleted: int,
                        sizes: tuple[int, ...]) -> Timeline:
    """Record 1 of ``table``: ``n`` versions, deleted at position ``deleted`` and re-created, ending with a write
    the history did not record; paged at ``sizes``, the pages are its timeline."""
    whole = read.history(ws, table, "1")
    assert whole.convention == convention and len(whole.versions) == n
    ops = [v.op for v in whole.versions[deleted - 2:deleted + 2]]
    assert ops == [Op.UPDATE, Op.DELETE, Op.INSERT, Op.UPDATE], ops
    assert whole.versions[-1].current and whole.versions[-1].note
    for size in sizes:
        assert_pages_are_the_timeline(ws, table, "1", size, whole)
    return whole


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
        _assert_long_record(ws, "shop_item", "simple-history", 2001, 500, (97, 200))
        with ws.catalog() as cat:
            assert load_page(cat, open_target(cat, "shop_item"), "1", None, 1001, 200) is not None
    finally:
        ws.close()


CONTINUUM = (  # the tables SQLAlchemy-Continuum 1.4 creates with PropertyModTracker and TransactionMeta
    "CREATE TABLE account (id integer PRIMARY KEY, username varchar(50) NOT NULL)",
    "CREATE TABLE article (id integer PRIMARY KEY, name varchar(100) NOT NULL, content text, views integer)",
    'CREATE TABLE "transaction" (id integer PRIMARY KEY, remote_addr varchar(50), '
    "user_id integer REFERENCES account (id), issued_at timestamp)",
    "CREATE TABLE transaction_meta (transaction_id integer NOT NULL, key varchar(255) NOT NULL, value text, "
    "PRIMARY KEY (transaction_id, key))",
    "CREATE TABLE article_version (id integer NOT NULL, name varchar(100), content text, "
    "transaction_id integer NOT NULL, end_transaction_id integer, operation_type smallint NOT NULL, "
    "name_mod boolean NOT NULL, content_mod boolean NOT NULL, PRIMARY KEY (id, transaction_id))",
    "CREATE INDEX ix_article_version_pk_transaction_id ON article_version (id, transaction_id DESC)",
)


def _continuum_rows(article: int, txs: range, kind: Any) -> list[dict[str, Any]]:
    """Version rows as Continuum writes them: the new state, the operation, the next version's transaction as
    the end (validity strategy), _mod flags of what changed (the content flag wrongly set every 13th)."""
    out = []
    for i, tx in enumerate(txs, 1):
        op = kind(i)
        out.append({"id": article, "name": f"a{article} n{i // 3}", "content": f"c{i // 5}", "transaction_id": tx,
                    "end_transaction_id": tx + 1 if i < len(txs) else None, "operation_type": op,
                    "name_mod": op == 0 or i % 3 == 0, "content_mod": op == 0 or i % 5 == 0 or i % 13 == 0})
    return out


def fill_continuum(url: str, n: int) -> None:
    """Article 1: ``n`` versions (deleted and re-created every 2,500), then a write the history did not
    record; article 2: 5 versions, deleted without a version; article 3: created, then deleted."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in CONTINUUM:
            conn.execute(text(statement))
        md = MetaData()
        t = {name: Table(name, md, autoload_with=conn)
             for name in ("account", "article", "transaction", "transaction_meta", "article_version")}
        conn.execute(t["account"].insert(), [{"id": 1, "username": "alice"}, {"id": 2, "username": "bob"}])
        base = datetime(2026, 3, 1)
        total = n + 7
        conn.execute(t["transaction"].insert(), [
            {"id": tx, "issued_at": base + timedelta(seconds=tx), "user_id": (None, 1, 2)[tx % 3],
             "remote_addr": f"10.0.0.{tx % 9}" if tx % 4 == 0 else None} for tx in range(1, total + 1)])
        conn.execute(t["transaction_meta"].insert(),
                     [{"transaction_id": tx, "key": "reason", "value": f"edit {tx}"} for tx in range(1, total + 1)
                      if tx % 7] + [{"transaction_id": tx, "key": "ticket", "value": f"T-{tx}"}
                                    for tx in range(1, total + 1, 11)])
        conn.execute(t["article_version"].insert(), [
            *_continuum_rows(1, range(1, n), lambda i: 0 if i % 2500 == 1 else 2 if i % 2500 == 0 else 1),
            *_continuum_rows(2, range(n, n + 5), lambda i: 0 if i == 1 else 1),
            *_continuum_rows(3, range(n + 5, n + 7), lambda i: 0 if i == 1 else 2)])
        conn.execute(t["article"].insert(), [{"id": 1, "name": "changed behind the history", "content": "c",
                                              "views": 3}])
    engine.dispose()


def test_a_10000_version_continuum_record_pages_by_window(sqlite_or_pg_url: str) -> None:
    """SQLAlchemy-Continuum's layout (validity strategy, _mod flags, transaction meta, users), its rows inserted
    in bulk by hand in the shape the library writes them (writing 10,000 versions through the ORM is too slow):
    a 10,000-version record with deletions, re-creations and a write the history did not record, and two short
    ones ending in deletions (one recorded, one not), paged at every boundary."""
    n = 10_000
    fill_continuum(sqlite_or_pg_url, n)
    ws = workspace(sqlite_or_pg_url)
    try:
        whole = _assert_long_record(ws, "article", "continuum", n, 2500, (97, 200))
        assert whole.versions[0].actor == "alice" and whole.versions[0].reason == "edit 1"
        assert any(v.note and "_mod flags" in v.note for v in whole.versions)
        with ws.catalog() as cat:
            page = load_page(cat, open_target(cat, "article"), "1", None, 5001, 200)
        assert page is not None and [v.seq for v in page.versions] == list(range(4801, 5001))
        for key, ops in (("2", [Op.INSERT, *[Op.UPDATE] * 4, Op.DELETE]), ("3", [Op.INSERT, Op.DELETE])):
            short = read.history(ws, "article", key)
            assert [v.op for v in short.versions] == ops
            for size in range(1, len(ops) + 2):
                assert_pages_are_the_timeline(ws, "article", key, size, short)
    finally:
        ws.close()


def _paper_trail_rows(item: int, n: int, start: int, skewed: int = 0) -> list[dict[str, Any]]:
    """``n`` versions of widget ``item`` as PaperTrail writes them with its JSON serializer: ``object`` the state
    before the event (a touch's the state after it, without changes), ``object_changes`` the changes, times in
    UTC to the millisecond; destroyed and re-created every 150; row ``skewed`` (if any) stamped an hour late."""
    def state(i: int, at: datetime) -> dict[str, Any]:
        return {"id": item, "name": f"w{item} n{i // 2}", "updated_at": at.isoformat(timespec="milliseconds") + "Z"}

    base = datetime(2026, 3, 1)
    out, prev = [], None
    for i in range(1, n + 1):
        at = base + timedelta(seconds=start + i)
        now = state(i, at)
        event = "create" if i == 1 or i % 150 == 1 else "destroy" if i % 150 == 0 else "update"
        touch = event == "update" and i % 10 == 5
        if touch:
            now["name"] = (prev or now)["name"]
        changes = None if event == "destroy" or touch else {
            k: [None if event == "create" else (prev or {}).get(k), v] for k, v in now.items()
            if event == "create" or (prev or {}).get(k) != v}
        obj = now if touch else None if event == "create" else prev
        out.append({"item_type": "Widget", "item_id": item, "event": event, "whodunnit": f"u{i % 4}",
                    "object": None if obj is None else json.dumps(obj),
                    "object_changes": None if changes is None else json.dumps(changes),
                    "created_at": at + timedelta(hours=1 if i == skewed else 0), "ticket": f"T{i}" if i % 9 else None})
        prev = None if event == "destroy" else now
    return out


def fill_paper_trail(url: str, n: int) -> None:
    """Widget 1: ``n`` events, then a write the history did not record; widget 2: 12 events, one skewed."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE widgets (id integer PRIMARY KEY, name varchar(40), updated_at timestamp)"))
        conn.execute(text("CREATE TABLE versions (id integer PRIMARY KEY, item_type varchar(100) NOT NULL, "
                          "item_id bigint NOT NULL, event varchar(20) NOT NULL, whodunnit varchar(100), object text, "
                          "object_changes text, created_at timestamp, ticket varchar(20))"))
        rows = [*_paper_trail_rows(1, n, 0), *_paper_trail_rows(2, 12, n + 1000, skewed=7)]
        versions = Table("versions", MetaData(), autoload_with=conn)
        conn.execute(versions.insert(), [{"id": i, **r} for i, r in enumerate(rows, 1)])
        conn.execute(text("INSERT INTO widgets VALUES (1, 'changed behind the history', '2026-04-01 00:00:00')"))
    engine.dispose()


def test_paper_trail_pages_read_windows(sqlite_or_pg_url: str) -> None:
    """Rails PaperTrail's layout (JSON serializer, a metadata column), rows written by hand in the shape the
    library writes them: 1,000 events with touches, destroys and re-creations, then a write the history did not
    record, paged by window; a record one of whose rows shows a zone skew (noted on all its rows) is read whole."""
    fill_paper_trail(sqlite_or_pg_url, 1000)
    ws = workspace(sqlite_or_pg_url)
    try:
        whole = _assert_long_record(ws, "widgets", "paper-trail", 1001, 150, (97, 200))
        assert [c.column for c in whole.versions[4].changes] == ["updated_at"]  # a touch
        with ws.catalog() as cat:  # one version a page across the deletion and re-creation (the conformance
            target = open_target(cat, "widgets")  # stories page every record one version at a time)
            for before in range(140, 160):
                page = load_page(cat, target, "1", None, before, 1)
                assert page is not None and list(page.versions) == [whole.versions[before - 2]], before
        skewed = read.history(ws, "widgets", "2")
        assert all("off the updated_at" in (v.note or "") for v in skewed.versions[:12])
        for size in range(1, len(skewed.versions) + 2):
            assert_pages_are_the_timeline(ws, "widgets", "2", size, skewed)
        with ws.catalog() as cat:
            target = open_target(cat, "widgets")
            page = load_page(cat, target, "1", None, 501, 200)
            assert page is not None and [v.seq for v in page.versions] == list(range(301, 501))
            assert load_page(cat, target, "2", None, None, 2) is None  # the skew: read whole
    finally:
        ws.close()


PGHISTORY = (  # the tables django-pghistory 3 creates for a tracked model (triggers left out: rows written here)
    "CREATE TABLE auth_user (id integer PRIMARY KEY, username varchar(150) NOT NULL)",
    "CREATE TABLE pgshop_item (id integer PRIMARY KEY, name varchar(40) NOT NULL)",
    "CREATE TABLE pghistory_context (id uuid PRIMARY KEY, created_at timestamptz NOT NULL, "
    "updated_at timestamptz NOT NULL, metadata jsonb NOT NULL)",
    "CREATE TABLE pgshop_itemevent (pgh_id integer PRIMARY KEY, pgh_created_at timestamptz NOT NULL, "
    "pgh_label text NOT NULL, pgh_obj_id integer NOT NULL, pgh_context_id uuid REFERENCES pghistory_context (id), "
    "id integer NOT NULL, name varchar(40) NOT NULL)",
)


def test_a_long_pghistory_record_pages_by_window(pg_url: str) -> None:
    """django-pghistory's layout, filled set-based: 2,000 events of item 1 (deleted every 500th, re-created
    next; manual snapshots among them; a context with actor, reason and url on every third), interleaved with
    another item's, then a write with the triggers off (the live row differs from the newest event)."""
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        for ddl in PGHISTORY:
            conn.execute(text(ddl))
        conn.execute(text("INSERT INTO auth_user VALUES (1, 'alice'), (2, 'bob')"))
        conn.execute(text(
            "INSERT INTO pghistory_context SELECT md5(v::text)::uuid, t, t, jsonb_build_object('user', 1 + v % 2, "
            "'reason', 'save ' || v, 'url', '/items/' || v) FROM generate_series(1, 2000, 3) v, "
            "LATERAL (SELECT timestamptz '2026-02-01 00:00:00+00' + v * interval '1 second' AS t) s"))
        conn.execute(text(
            "INSERT INTO pgshop_itemevent SELECT 2 * v - o, timestamptz '2026-02-01 00:00:00+00' "
            "+ v * interval '1 second', CASE WHEN o = 1 THEN 'update' WHEN v = 1 OR v % 500 = 1 THEN 'insert' "
            "WHEN v % 500 = 0 THEN 'delete' WHEN v % 97 = 0 THEN 'snapshot' ELSE 'update' END, o + 1, "
            "CASE WHEN v % 3 = 1 AND o = 0 THEN md5(v::text)::uuid END, o + 1, 'n' || (v / 3) "
            "FROM generate_series(1, 2000) v, generate_series(0, 1) o"))
        conn.execute(text("INSERT INTO pgshop_item VALUES (1, 'changed behind the history'), (2, 'n666')"))
    engine.dispose()
    ws = workspace(pg_url)
    try:
        whole = _assert_long_record(ws, "pgshop_item", "pghistory", 2001, 500, (97, 200))
        assert whole.versions[0].actor == "bob" and whole.versions[0].reason == "save 1"
        assert any(v.note and "snapshot" in v.note for v in whole.versions)
        with ws.catalog() as cat:
            assert load_page(cat, open_target(cat, "pgshop_item"), "1", None, 1001, 200) is not None
    finally:
        ws.close()


REVERSION = (  # the tables django-reversion 5 and django.contrib.contenttypes / auth create
    "CREATE TABLE auth_user (id integer PRIMARY KEY, username varchar(150) NOT NULL)",
    "CREATE TABLE django_content_type (id integer PRIMARY KEY, app_label varchar(100) NOT NULL, "
    "model varchar(100) NOT NULL)",
    "CREATE TABLE shop_item (id integer PRIMARY KEY, name varchar(40) NOT NULL)",
    "CREATE TABLE reversion_revision (id integer PRIMARY KEY, date_created timestamp NOT NULL, "
    "comment text NOT NULL, user_id integer REFERENCES auth_user (id))",
    "CREATE TABLE reversion_version (id integer PRIMARY KEY, object_id varchar(191) NOT NULL, "
    "format varchar(255) NOT NULL, serialized_data text NOT NULL, object_repr text NOT NULL, "
    "content_type_id integer NOT NULL REFERENCES django_content_type (id), "
    "revision_id integer NOT NULL REFERENCES reversion_revision (id), db varchar(191) NOT NULL)",
)


def test_a_long_reversion_record_pages_by_window(sqlite_or_pg_url: str) -> None:
    """django-reversion's layout, written by hand: 2,000 revisions saving item 1 (every fifth saves it unchanged:
    "no change recorded") and item 2, then a save outside a revision block (the live row differs)."""
    engine = create_engine(sqlite_or_pg_url)
    with engine.begin() as conn:
        for ddl in REVERSION:
            conn.execute(text(ddl))
        conn.execute(text("INSERT INTO auth_user VALUES (1, 'alice'), (2, 'bob')"))
        conn.execute(text("INSERT INTO django_content_type VALUES (7, 'shop', 'item')"))
        conn.execute(text("INSERT INTO reversion_revision VALUES (:v, :at, :why, :user)"),
                     [{"v": v, "at": datetime(2026, 2, 1) + timedelta(seconds=v), "why": f"save {v}" if v % 7 else "",
                       "user": None if v % 11 == 0 else 1 + v % 2} for v in range(1, 2001)])
        conn.execute(text("INSERT INTO reversion_version VALUES (:id, :obj, 'json', :data, :repr, 7, :v, 'default')"),
                     [{"id": 2 * v - (obj == 2), "obj": str(obj), "v": v, "repr": f"item {obj}",
                       "data": json.dumps([{"model": "shop.item", "pk": obj,
                                            "fields": {"name": f"n{v - v % 5 if obj == 1 else v}"}}])}
                      for v in range(1, 2001) for obj in (1, 2)])
        conn.execute(text("INSERT INTO shop_item VALUES (1, 'saved outside a revision'), (2, 'n2000')"))
    engine.dispose()
    ws = workspace(sqlite_or_pg_url)
    try:
        whole = read.history(ws, "shop_item", "1")
        assert whole.convention == "reversion" and len(whole.versions) == 2001
        assert whole.versions[0].op is Op.INSERT and whole.versions[-1].current and whole.versions[-1].note
        assert [v.note for v in whole.versions[4:6]] == [None, "no change recorded"]
        for size in (97, 200):
            assert_pages_are_the_timeline(ws, "shop_item", "1", size, whole)
        with ws.catalog() as cat:
            assert load_page(cat, open_target(cat, "shop_item"), "1", None, 1001, 200) is not None
    finally:
        ws.close()


def _paged_like_whole(ws: Workspace, table: str, key: str, sizes: tuple[int, ...], middle: int) -> Timeline:
    """``key``'s pages at ``sizes`` are its timeline, and a page in the middle is read by window."""
    whole = read.history(ws, table, key)
    for size in sizes:
        assert_pages_are_the_timeline(ws, table, key, size, whole)
    with ws.catalog() as cat:
        page = load_page(cat, open_target(cat, table), key, None, middle, 200)
    assert page is not None and [v.seq for v in page.versions] == list(range(middle - 200, middle))
    return whole


def _period_rows(n: int, gap_every: int, start: datetime, text_times: bool) -> list[dict[str, Any]]:
    """``n`` closed periods of invoice 1, each a second long, a half-second gap (a deletion) after every
    ``gap_every``-th; invoice 2's periods interleaved. ``text_times`` (SQLite): the times as text in two forms,
    with and without microseconds, which the server compares as the engine does."""
    rows, at = [], start
    for i in range(1, n + 1):
        end = at + timedelta(seconds=1, microseconds=i % 3)
        rows += [{"id": 1, "amount": i // 2, "vf": at, "vt": end}, {"id": 2, "amount": i, "vf": at, "vt": end}]
        at = end + (timedelta(milliseconds=500) if i % gap_every == 0 else timedelta(0))
    if text_times:
        for r in rows:
            r["vf"], r["vt"] = (str(t) if t.microsecond else t.isoformat(" ", "seconds") for t in (r["vf"], r["vt"]))
    return rows


def test_a_long_declared_period_record_pages_by_window(sqlite_or_pg_url: str, tmp_path: Path) -> None:
    """A declared period layout (valid_from/valid_to), filled by hand: 1,000 closed periods with deletions among
    them, then the live row; record 3 re-created after its last period, record 4 deleted for good."""
    url = sqlite_or_pg_url
    sqlite = url.startswith("sqlite")
    stamp = "TIMESTAMP" if sqlite else "TIMESTAMPTZ"
    rows = _period_rows(1000, 400, datetime(2026, 1, 1), sqlite)
    last = rows[-1]["vt"]
    rows += [{"id": 3, "amount": 1, "vf": datetime(2026, 1, 1), "vt": datetime(2026, 1, 2)},
             {"id": 3, "amount": 2, "vf": datetime(2026, 1, 2), "vt": datetime(2026, 1, 3)},
             {"id": 4, "amount": 1, "vf": datetime(2026, 1, 1), "vt": datetime(2026, 1, 2)},
             {"id": 4, "amount": 5, "vf": datetime(2026, 1, 2), "vt": datetime(2026, 1, 4)}]
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE invoice (id integer PRIMARY KEY, amount integer, valid_from {stamp})"))
        conn.execute(text("CREATE TABLE invoice_history (hid integer PRIMARY KEY, id integer NOT NULL, "
                          f"amount integer, valid_from {stamp} NOT NULL, valid_to {stamp} NOT NULL)"))
        conn.execute(text("INSERT INTO invoice_history VALUES (:hid, :id, :amount, :vf, :vt)"),
                     [{"hid": i, **r} for i, r in enumerate(rows, 1)])
        conn.execute(text("INSERT INTO invoice VALUES (:id, :amount, :vf)"),
                     [{"id": 1, "amount": -1, "vf": last},
                      {"id": 3, "amount": 3, "vf": "2026-01-05 00:00:00" if sqlite else datetime(2026, 1, 5)}])
    engine.dispose()
    cfg = tmp_path / "chrono.toml"
    cfg.write_text(CONFIGS["period"].replace('unrecorded = ["secret"]\n', ""), encoding="utf-8")
    ws = Workspace(Settings(url, (), load(cfg)))
    try:
        whole = _paged_like_whole(ws, "invoice", "1", (97, 200), 501)
        assert len(whole.versions) == 1003 and whole.versions[-1].current
        assert [v.op for v in whole.versions[399:403]] == [Op.UPDATE, Op.DELETE, Op.INSERT, Op.UPDATE]
        for key, ops in (("3", [Op.INSERT, Op.UPDATE, Op.DELETE, Op.INSERT]), ("4", [Op.INSERT, Op.UPDATE, Op.DELETE])):
            short = read.history(ws, "invoice", key)
            assert [v.op for v in short.versions] == ops
            for size in (1, 2, len(ops)):
                assert_pages_are_the_timeline(ws, "invoice", key, size, short)
    finally:
        ws.close()


def test_a_long_declared_in_table_record_pages_by_window(sqlite_or_pg_url: str, tmp_path: Path) -> None:
    """A declared in-table layout (rev, vf, vt, is_current), filled by hand: record 1 has 1,000 version rows with
    deletions among them (a closed row, the next starting later), the last one current; record 2's interleaved
    rows end closed (deleted)."""
    url = sqlite_or_pg_url
    rows = _period_rows(1000, 400, datetime(2026, 1, 1), url.startswith("sqlite"))
    rows[-2].update(vt=None)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(in_table("sqlite" if url.startswith("sqlite") else "postgresql")[0])
        conn.execute(text("INSERT INTO invoice (id, customer, amount, rev, vf, vt, is_current) "
                          "VALUES (:id, 'c', :amount, :rev, :vf, :vt, :now)"),
                     [{**r, "rev": i // 2 + 1, "now": r["vt"] is None} for i, r in enumerate(rows)])
    engine.dispose()
    cfg = tmp_path / "chrono.toml"
    cfg.write_text(CONFIGS["in-table"], encoding="utf-8")
    ws = Workspace(Settings(url, (), load(cfg)))
    try:
        whole = _paged_like_whole(ws, "invoice", "1", (97, 200), 501)
        assert whole.convention == "in-table" and len(whole.versions) == 1002 and whole.versions[-1].current
        assert [v.op for v in whole.versions[399:403]] == [Op.UPDATE, Op.DELETE, Op.INSERT, Op.UPDATE]
        deleted = read.history(ws, "invoice", "2")
        assert len(deleted.versions) == 1003 and deleted.versions[-1].op is Op.DELETE
        assert_pages_are_the_timeline(ws, "invoice", "2", 200, deleted)
    finally:
        ws.close()


def test_a_long_temporal_tables_record_pages_by_window(pg_url: str) -> None:
    """temporal_tables' layout (a tstzrange period column), filled set-based: 2,000 closed periods of contract 1
    with a deletion after every 500th, another contract's interleaved, then the live row."""
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE contract (id integer PRIMARY KEY, title text, sys_period tstzrange NOT NULL)"))
        conn.execute(text("CREATE TABLE contract_history (id integer NOT NULL, title text, "
                          "sys_period tstzrange NOT NULL)"))
        conn.execute(text(
            "INSERT INTO contract_history SELECT o, 't' || (v / 3), tstzrange(s, s + interval '1 second') "
            "FROM generate_series(1, 2000) v, generate_series(1, 2) o, LATERAL (SELECT timestamptz "
            "'2026-01-01 00:00:00+00' + v * interval '1 second' + (v - 1) / 500 * interval '1 millisecond' AS s) t"))
        conn.execute(text("INSERT INTO contract SELECT 1, 'live', tstzrange(upper(sys_period), NULL) "
                          "FROM contract_history WHERE id = 1 ORDER BY sys_period DESC LIMIT 1"))
    engine.dispose()
    ws = workspace(pg_url)
    try:
        whole = _paged_like_whole(ws, "contract", "1", (97, 200), 1001)
        assert whole.convention == "temporal-tables" and len(whole.versions) == 2004
        assert [v.op for v in whole.versions[499:503]] == [Op.UPDATE, Op.DELETE, Op.INSERT, Op.UPDATE]
        assert whole.versions[-1].current and whole.versions[-1].op is Op.UPDATE
    finally:
        ws.close()


def test_long_mariadb_system_versioned_records_page_by_window(mysql_url: str) -> None:
    """MariaDB writes the history itself: a timestamp-versioned record with 2,000 versions written in one
    transaction (each statement stamps its own version), deleted and re-created every 400th, an UPDATE that
    changes nothing every 7th (noted from the state before it); a transaction-precise one with 60 versions."""
    engine = create_engine(mysql_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE stamped (id INT PRIMARY KEY, v VARCHAR(20)) WITH SYSTEM VERSIONING")
        conn.exec_driver_sql("CREATE TABLE trx (id INT PRIMARY KEY, v VARCHAR(20), "
                             "s BIGINT UNSIGNED GENERATED ALWAYS AS ROW START, "
                             "e BIGINT UNSIGNED GENERATED ALWAYS AS ROW END, PERIOD FOR SYSTEM_TIME (s, e)) "
                             "WITH SYSTEM VERSIONING")

    def steps(table: str, n: int, every: int) -> list[str]:
        out = [f"INSERT INTO {table} (id, v) VALUES (1, 'v1'), (2, 'other')"]
        for i in range(2, n + 1):
            if i % every == 1:
                out += [f"DELETE FROM {table} WHERE id = 1", f"INSERT INTO {table} (id, v) VALUES (1, 'v{i}')"]
            else:
                out.append(f"UPDATE {table} SET v = {'v' if i % 7 == 0 else repr(f'v{i}')} WHERE id = 1")
        return out

    with engine.begin() as conn:
        for statement in steps("stamped", 998, 400):
            conn.exec_driver_sql(statement)
    for statement in steps("trx", 58, 25):  # one version per transaction
        with engine.begin() as conn:
            conn.exec_driver_sql(statement)
    engine.dispose()
    ws = workspace(mysql_url)
    try:
        whole = _paged_like_whole(ws, "stamped", "1", (150,), 501)
        assert whole.convention == "mariadb-versioning" and len(whole.versions) == 1000
        assert [v.op for v in whole.versions[399:402]] == [Op.UPDATE, Op.DELETE, Op.INSERT]
        assert whole.versions[-1].current and sum(bool(v.note) for v in whole.versions) > 100
        short = read.history(ws, "trx", "1")
        assert len(short.versions) == 60 and short.versions[25].op is Op.DELETE
        for size in (7,):
            assert_pages_are_the_timeline(ws, "trx", "1", size, short)
    finally:
        ws.close()


def test_a_long_chrononaut_activity_record_pages_by_window(pg_url: str) -> None:
    """Chrononaut 0.4's shared activity log, filled set-based: 1,000 rows of appuser 1 (the new state of each
    change, versions from 0; deleted after every 400th, its re-creation version 0 again; one re-creation right
    after another with no deletion row between), with an actor on every third and a rationale on every fifth,
    interleaved with another record's, then a write that bypassed Chrononaut (the live row differs)."""
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE appuser (id integer PRIMARY KEY, name text, version integer NOT NULL)"))
        conn.execute(text("CREATE TABLE chrononaut_activity (id bigserial PRIMARY KEY, table_name text NOT NULL, "
                          "changed timestamptz NOT NULL, version integer NOT NULL, key jsonb NOT NULL, "
                          "data jsonb NOT NULL, user_info jsonb NOT NULL, extra_info jsonb NOT NULL)"))
        conn.execute(text(
            "INSERT INTO chrononaut_activity (table_name, changed, version, key, data, user_info, extra_info) "
            "SELECT 'appuser', timestamptz '2026-02-01 00:00:00+00' + v * interval '1 second', n, "
            "jsonb_build_object('id', o), jsonb_build_object('id', o, 'name', 'n' || (v / 3), 'version', n), "
            "CASE WHEN v % 3 = 0 THEN jsonb_build_object('user_id', 'u' || v) ELSE '{}' END, "
            "CASE WHEN v % 5 = 0 THEN jsonb_build_object('rationale', 'why ' || v) ELSE '{}' END "
            "FROM generate_series(1, 1000) v, generate_series(1, 2) o, "
            "LATERAL (SELECT CASE WHEN v = 802 THEN 0 ELSE (v - 1) % 400 END AS n) s ORDER BY v, o"))
        conn.execute(text("INSERT INTO appuser VALUES (1, 'changed behind Chrononaut', 1000), (2, 'n333', 399)"))
    engine.dispose()
    ws = workspace(pg_url)
    try:
        whole = _paged_like_whole(ws, "appuser", "1", (97, 201), 501)  # 201: a page ends just before the gap
        assert whole.convention == "chrononaut-activity" and len(whole.versions) == 1002
        assert [v.op for v in whole.versions[398:401]] == [Op.UPDATE, Op.DELETE, Op.INSERT]
        assert [v.op for v in whole.versions[799:804]] == [Op.DELETE, Op.INSERT, Op.DELETE, Op.INSERT, Op.UPDATE]
        assert whole.versions[-1].current and whole.versions[-1].note
        assert whole.versions[2].actor == "u3" and whole.versions[4].reason == "why 5"
    finally:
        ws.close()


def _assert_windowed(ws: Workspace, table: str, whole: Timeline, before: int) -> None:
    """Record 1 paged at 97 is ``whole``, and its store reads the page before ``before`` by window."""
    assert_pages_are_the_timeline(ws, table, "1", 97, whole)
    with ws.catalog() as cat:
        assert load_page(cat, open_target(cat, table), "1", None, before, 200) is not None


def fill_audit_log(url: str, kind: str, n: int) -> None:
    """The suite's own supa_audit or audit trigger (tests/support/audit_logs.py) on ``article``, then ``n``
    writes of article 1 through them: updates, a deletion and re-creation every 500, a write with the triggers
    off every 301 (the next logged row does not start from the state the previous one left), the session's time
    zone changed at ``n`` * 7 / 12 (the logged text of a time changes, not the time: no gap), a TRUNCATE at
    ``n`` * 5 / 8 (re-created at once), a column added at ``n`` * 9 / 10 (older rows do not name it), then a
    write with the triggers off (the live row differs from the newest logged state)."""
    engine = create_engine(url)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            cur.execute(audit_logs.SUPA_AUDIT if kind == "supa" else audit_logs.AUDIT_TRIGGER)
            cur.execute(audit_logs.TABLES)
            for statement in audit_logs.ENABLE[kind]:
                cur.execute(statement)
            cur.execute(f"""DO $$ BEGIN FOR v IN 1..{n - 1} LOOP
                IF v = 1 OR v % 500 = 1 THEN INSERT INTO article (id, name, price, published_at)
                    VALUES (1, 'n' || v, v, '2026-11-20 09:00+02');
                ELSIF v = {n * 7 // 12} THEN PERFORM set_config('TimeZone', 'Asia/Tokyo', true);
                ELSIF v % 500 = 0 THEN DELETE FROM article WHERE id = 1;
                ELSIF v = {n * 5 // 8} THEN TRUNCATE article; INSERT INTO article (id, name) VALUES (1, 'again');
                ELSIF v = {n * 9 // 10} THEN ALTER TABLE article ADD COLUMN extra text;
                ELSIF v % 301 = 0 THEN
                    ALTER TABLE article DISABLE TRIGGER USER;
                    UPDATE article SET note = 'unlogged ' || v WHERE id = 1;
                    ALTER TABLE article ENABLE TRIGGER USER;
                ELSE UPDATE article SET name = 'n' || (v / 3), views = v % 7 WHERE id = 1;
                END IF; END LOOP;
                ALTER TABLE article DISABLE TRIGGER USER;
                UPDATE article SET name = 'changed behind the history' WHERE id = 1; END $$""")
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


@pytest.mark.parametrize(("kind", "convention"), [("supa", "supa-audit"), ("audit-trigger", "audit-trigger")])
def test_a_long_audit_log_record_pages_by_window(pg_url: str, kind: str, convention: str) -> None:
    """Trigger-written logs (JSONB and hstore): 1,200 writes of one record with unrecorded changes, deletions,
    a TRUNCATE and a column added on the way, paged by window into its timeline."""
    fill_audit_log(pg_url, kind, 1200)
    ws = workspace(pg_url)
    try:
        whole = read.history(ws, "article", "1")
        assert whole.convention == convention
        notes = [v.note or "" for v in whole.versions]
        assert sum(n.startswith("unrecorded change") for n in notes) == 3  # after 301, 602, 903
        assert any(n.startswith("TRUNCATE") for n in notes) and whole.versions[-1].current and notes[-1]
        _assert_windowed(ws, "article", whole, 501)
    finally:
        ws.close()


POTION = (  # Flask-Potion's HistoryMixin recipe table and a model with a ToOne field (rows written here)
    "CREATE TABLE author (id integer PRIMARY KEY, name varchar(40))",
    "CREATE TABLE article (id integer PRIMARY KEY, title varchar(80), published_at timestamp, "
    "author_id integer REFERENCES author (id), views integer)",
    "CREATE TABLE history_record (id {serial} PRIMARY KEY, object_type varchar(20) NOT NULL, "
    "object_id integer NOT NULL, updated_at timestamp NOT NULL, changes {json})",
)


def _potion_changes(n: int) -> list[list[dict[str, Any]]]:
    """``n`` PATCHes of article 1 as the recipe records them, each attribute's old value the new one the last
    PATCH naming it left, but after a write Potion did not see every 301st (then the next author's too): the
    title each time, a date every
    7th, the author (a ``$ref``) every 13th, the views from PATCH ``n`` - 100 on, an attribute with no column
    every 97th; every 50th changes nothing."""
    left: dict[str, Any] = {"title": "t0", "published_at": None, "author": {"$ref": "/author/1"}, "views": None}
    out = []
    for v in range(1, n + 1):
        if v % 301 == 0:  # the state after the gap knows no author: the next author's old value is no gap either
            left["author"] = {"$ref": "/author/3"}
        new = {"title": f"t{v}"} if v % 50 else {}
        if v % 7 == 0 and new:
            new["published_at"] = {"$date": v * 86_400_000}
        if v % 13 == 0 and new:
            new["author"] = {"$ref": f"/author/{v // 13 % 2 + 1}"}
        if v >= n - 100 and new:
            new["views"] = v
        out.append([{"attribute": a, "old": f"x{v}" if a == "title" and v % 301 == 0 else left[a], "new": value}
                    for a, value in new.items()] + ([{"attribute": "summary", "old": None, "new": f"s{v}"}]
                                                    if v % 97 == 0 else []))
        left.update(new)
    return out


def fill_potion(url: str, n: int) -> None:
    """Article 1: ``n`` PATCHes (``_potion_changes``), then a write Potion did not see; article 2: ``n`` PATCHes
    of its own, interleaved."""
    engine = create_engine(url)
    with engine.begin() as conn:
        pg = conn.dialect.name == "postgresql"
        for ddl in POTION:
            conn.execute(text(ddl.format(serial="serial" if pg else "integer", json="jsonb" if pg else "text")))
        conn.execute(text("INSERT INTO author VALUES (1, 'ann'), (2, 'bo')"))
        conn.execute(text("INSERT INTO history_record (object_type, object_id, updated_at, changes) "
                          f"VALUES ('article', :obj, :at, {'CAST(:changes AS jsonb)' if pg else ':changes'})"),
                     [{"obj": obj, "at": datetime(2026, 2, 1) + timedelta(seconds=v),
                       "changes": json.dumps(changes if obj == 1 else [{"attribute": "title", "old": "a", "new": "b"}])}
                      for v, changes in enumerate(_potion_changes(n), 1) for obj in (1, 2)])
        conn.execute(text("INSERT INTO article VALUES (1, 'changed behind Potion', NULL, 1, :n), "
                          "(2, 'b', NULL, NULL, NULL)"), {"n": n})
    engine.dispose()


def test_a_long_potion_record_pages_by_window(sqlite_or_pg_url: str) -> None:
    """Flask-Potion's diffs, 1,200 PATCHes of one article with unrecorded changes between them (their versions'
    positions depend on the gaps before them), dates, links, no-op PATCHes and a column first named late (older
    pages carry its value back from newer records), then a write Potion did not see: paged by window."""
    fill_potion(sqlite_or_pg_url, 1200)
    ws = workspace(sqlite_or_pg_url)
    try:
        whole = read.history(ws, "article", "1")
        assert whole.convention == "potion" and len(whole.versions) == 1200 + 1 + 3 + 1
        assert sum((v.note or "").startswith("unrecorded change") for v in whole.versions) == 3
        _assert_windowed(ws, "article", whole, 501)
    finally:
        ws.close()


def _auditlog_entries(n: int) -> list[tuple[int, dict[str, list[Any]] | None]]:
    """(action, changes) of ``n`` entries of shop item 1 as django-auditlog writes them (both sides strings,
    NULL as "None", a create or delete naming every field that is not NULL): a create, updates of the name (the
    price every 7th, the note first from entry ``n`` - 300 on), a deletion and re-creation every 500, an access
    entry every 40th (no change: entry 1,000 is one, so the create at 1,001 finds the item existing), and a save
    auditlog did not see before every 301st (the next old name differs)."""
    left: dict[str, str] = {}
    out: list[tuple[int, dict[str, list[Any]] | None]] = []
    for v in range(1, n + 1):
        if v % 40 == 0:
            out.append((3, None))
        elif v == 1 or v % 500 == 1:
            left = {"id": "1", "name": f"n{v}", "price": f"{v % 90}.50"}
            out.append((0, {f: ["None", value] for f, value in left.items()}))
        elif v % 500 == 0:
            out.append((2, {f: [value, "None"] for f, value in left.items()}))
            left = {}
        else:
            new = {"name": f"n{v}", **({"price": f"{v % 90}.25"} if v % 7 == 0 else {}),
                   **({"note": f"note {v}"} if v >= n - 300 else {})}
            out.append((1, {f: [f"x{v}" if f == "name" and v % 301 == 0 else left.get(f, "None"), value]
                            for f, value in new.items()}))
            left.update(new)
    return out


def fill_auditlog(url: str, n: int) -> None:
    """Item 1: ``n`` entries (``_auditlog_entries``), then a save auditlog did not see; item 2: two entries
    whose JSON is kept as the text of a JSON string."""
    engine = create_engine(url)
    json_type = {"postgresql": "jsonb", "sqlite": "text"}.get(engine.dialect.name, "longtext")
    time_type = "datetime(6)" if json_type == "longtext" else "timestamp"  # MariaDB's timestamp updates itself
    with engine.begin() as conn:
        for ddl in ("CREATE TABLE django_content_type (id integer PRIMARY KEY, app_label varchar(100) NOT NULL, "
                    "model varchar(100) NOT NULL)",
                    "CREATE TABLE shop_item (id integer PRIMARY KEY, name varchar(40) NOT NULL, price numeric(10, 2), "
                    "note text)",
                    "CREATE TABLE auditlog_logentry (id integer PRIMARY KEY, object_pk varchar(255) NOT NULL, "
                    "object_id bigint, object_repr text NOT NULL, action smallint NOT NULL, changes "
                    f"{json_type}, timestamp {time_type} NOT NULL, actor_id integer, content_type_id integer NOT NULL, "
                    "cid varchar(255), changes_text text NOT NULL, actor_email varchar(254))"):
            conn.execute(text(ddl))
        conn.execute(text("INSERT INTO django_content_type VALUES (7, 'shop', 'item')"))
        entries = Table("auditlog_logentry", MetaData(), autoload_with=conn)
        conn.execute(entries.insert(), [
            {"id": i, "object_pk": "1", "object_id": 1, "object_repr": "item 1", "action": action,
             "changes": changes if json_type == "jsonb" or changes is None else json.dumps(changes), "changes_text": "",
             "content_type_id": 7,
             "timestamp": datetime(2026, 2, 1) + timedelta(seconds=i)}
            for i, (action, changes) in enumerate(_auditlog_entries(n), 1)])
        conn.execute(entries.insert(), [  # item 2: each entry's JSON kept as the text of a JSON string
            {"id": n + 1000 + v, "object_pk": "2", "object_id": 2, "object_repr": "item 2", "action": 1 if v > 1 else 0,
             "changes": json.dumps(changes) if json_type == "jsonb" else json.dumps(json.dumps(changes)),
             "changes_text": "", "content_type_id": 7, "timestamp": datetime(2026, 3, 1) + timedelta(seconds=v)}
            for v, changes in enumerate(({"id": ["None", "2"], "name": ["None", "a"]}, {"name": ["a", "b"]}), 1)])
        conn.execute(text("INSERT INTO shop_item VALUES (1, 'saved outside auditlog', 9.50, 'note 1200'), "
                          "(2, 'b', NULL, NULL)"))
    engine.dispose()


def test_a_long_auditlog_record_pages_by_window(db_url: str) -> None:
    """django-auditlog's entries written by hand in the shape the library writes them: 1,200 entries of one item
    with creates and deletions, access entries, unrecorded saves between them (their versions' positions depend
    on the gaps before them) and a field first set late, then a save auditlog did not see: paged by window; an
    item whose entries keep their JSON as the text of a JSON string is read whole."""
    fill_auditlog(db_url, 1200)
    ws = workspace(db_url)
    try:
        whole = read.history(ws, "shop_item", "1")
        assert whole.convention == "auditlog"
        notes = [v.note or "" for v in whole.versions]
        assert sum(n.startswith("unrecorded change") for n in notes) == 4 and notes[-1]  # 301, 602, 903, 1001
        assert [v.op for v in whole.versions].count(Op.DELETE) == 1  # entry 1000 is an access, not the deletion
        _assert_windowed(ws, "shop_item", whole, 501)
        texts = read.history(ws, "shop_item", "2")  # what the whole read makes of the text, paged
        assert_pages_are_the_timeline(ws, "shop_item", "2", 1, texts)
        with ws.catalog() as cat:
            assert load_page(cat, open_target(cat, "shop_item"), "2", None, None, 1) is None
    finally:
        ws.close()
