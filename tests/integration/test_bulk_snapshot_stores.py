"""Set-based restores and reverts of the stores whose states only a record's whole timeline tells: Chrononaut 0.4's
``chrononaut_activity`` (JSON snapshots) and Flask-Potion's ``history_record`` (JSON diffs).

The data is the library's own: the fixture the real library wrote, then more rows the real library writes (a few
rows created, changed, one deleted). A bulk restore on one copy is compared with the same rows restored one by one
on another copy: the live rows and the history rows written are the same (but for the time of the write), and the
library then reads the history back and keeps numbering. Each inferred change set reverts set-based, as row by row.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine, select
from typer.testing import CliRunner

from chrono_cli.config import Config
from chrono_cli.services.changes import list_changes
from chrono_cli.services.workspace import Settings, Workspace
from tests.conftest import StoryClone
from tests.integration.restore_support import chrono, load_fixture, revert_both_ways, reverts_agree, run_library

ACTOR, REASON = "ops@example.com", "incident 12"

CHRONONAUT_MORE = """
import datetime, decimal, time
def commit():
    app_mod.db.session.commit()
    time.sleep(0.01)
with app_mod.acting_as("admin@example.com", "203.0.113.10"):
    for i in range(10, 14):
        app_mod.db.session.add(app_mod.User(id=i, email=f"u{i}@example.com", name=f"User {i}", nickname=f"u{i}",
                                            role=app_mod.Role.MEMBER, balance=decimal.Decimal("1.50"),
                                            prefs={"theme": "light"}))
    commit()
    at = datetime.datetime.now(datetime.timezone.utc).isoformat()
    for i in range(10, 14):
        user = app_mod.User.query.get(i)
        user.name, user.balance = f"User {i} renamed", decimal.Decimal("2.25")
    commit()
    app_mod.db.session.delete(app_mod.User.query.get(12))
    commit()
    user = app_mod.User.query.get(11)
    user.role, user.prefs = app_mod.Role.ADMIN, {"theme": "dark", "langs": ["en"]}
    commit()
print(json.dumps({"at": at}))
"""


def _chrononaut(url: str) -> dict[str, Any]:
    load_fixture(url, "chrononaut_04")
    made: dict[str, Any] = run_library("chrononaut_04", url, CHRONONAUT_MORE)
    return made


def _restore(runner: CliRunner, url: str, table: str, at: str, *key: str) -> dict[str, Any]:
    args = [*key, "--at", at] if key else ["--at", at, "--all-changed-since", at]
    result = chrono(runner, url, "-f", "json", "restore", table, *args, "--actor", ACTOR, "--reason", REASON, "--yes")
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def _dump(url: str, *tables: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of ``tables`` in key order, reflected and read on one connection."""
    engine = create_engine(url)
    try:
        md = MetaData()
        md.reflect(engine, only=list(tables))
        with engine.connect() as conn:
            return {name: [dict(r) for r in conn.execute(select(md.tables[name]).order_by(
                *md.tables[name].primary_key.columns)).mappings()] for name in tables}
    finally:
        engine.dispose()


def _newest_id(url: str, store: str) -> int:
    return max(int(r["id"]) for r in _dump(url, store)[store])


def _same_both_ways(url: str, other: str, table: str, store: str, after: int,
                    stamp: str) -> tuple[dict[int, dict[str, Any]], list[dict[str, Any]]]:
    """Check the live rows of ``table`` end alike on both databases, and so do the history rows written after row id
    ``after`` (but for their ids and the time of the write, ``stamp``); returns ``url``'s live rows by id and the
    history rows written there."""
    one, two = _dump(url, table, store), _dump(other, table, store)
    assert one[table] == two[table]
    written = [[r for r in d[store] if r["id"] > after] for d in (one, two)]

    def text(rs: list[dict[str, Any]]) -> list[str]:
        return sorted(json.dumps({k: v for k, v in r.items() if k not in ("id", stamp)}, default=str, sort_keys=True)
                      for r in rs)

    assert written[0] and text(written[0]) == text(written[1])
    return {r["id"]: r for r in one[table]}, written[0]


def _sets_revert_set_based(url: str) -> list[str]:
    """Every inferred change set grouped by actor (5 s), and the newest ones change by change (window 0), planned
    set-based with the row-by-row revert's report, rows and notes; returns the newest sets' ids (window 5, 0)."""
    ws = Workspace(Settings(url, (), Config()))
    try:
        newest = []
        for window, limit in ((5, 50), (0, 3)):
            sets = list_changes(ws, limit=limit, window=window).changesets
            assert sets and (window == 0 or any(len(cs.changes) > 1 for cs in sets))
            planned = [reverts_agree(ws, cs.id, window) for cs in sets]
            assert all(p is not None for p in planned), [cs.id for cs, p in zip(sets, planned, strict=True)
                                                           if p is None]
            newest.append(sets[0].id)
        return newest
    finally:
        ws.close()


def _revert_both_ways(runner: CliRunner, url: str, other: str, changeset_id: str, tmp_path: Path, table: str,
                      store: str, stamp: str) -> dict[int, dict[str, Any]]:
    """Revert ``changeset_id`` set-based on ``url`` and row by row (a plan file, then ``apply``) on ``other``, a copy
    of it: the live rows end alike, and so do the history rows written (but for their ids and time); returns the
    live rows by id."""
    last = _newest_id(url, store)
    revert_both_ways(runner, url, other, changeset_id, tmp_path, [], stamp)  # the tables are compared here
    live, _ = _same_both_ways(url, other, table, store, last, stamp)
    return live


def test_chrononaut_bulk_restore_writes_what_single_restores_write(runner: CliRunner,
                                                                   story_clone: StoryClone) -> None:
    url, made = story_clone("postgresql", "chrononaut_04 + bulk rows", _chrononaut)
    other, _ = story_clone("postgresql", "chrononaut_04 + bulk rows", _chrononaut)
    last = _newest_id(url, "chrononaut_activity")
    doc = _restore(runner, url, "appuser", made["at"])
    assert (doc["restored"], doc["recreated"]) == (3, 1), doc
    assert len(doc["statements"]) == 3  # the activity rows, the live rows' UPDATE and INSERT, whatever the rows
    for key in range(10, 14):
        _restore(runner, other, "appuser", made["at"], str(key))
    live, written = _same_both_ways(url, other, "appuser", "chrononaut_activity", last, "changed")
    assert len(written) == 4
    eleven = live[11]
    assert (eleven["name"], eleven["role"], eleven["prefs"], eleven["version"]) == ("User 11", "MEMBER",
                                                                                   {"theme": "light"}, 3)
    assert live[12]["version"] == 0  # re-created, as Chrononaut numbers every insert

    library = run_library("chrononaut_04", url, """
with app_mod.acting_as("admin@example.com", "203.0.113.10"):
    user = app_mod.User.query.get(11)
    user.name = "User 11 again"
    app_mod.db.session.commit()
with app_mod.app.app_context():
    print(json.dumps({k: app_mod.describe(k) for k in (11, 12)}, default=str))
""")
    eleven_v = library["11"]["versions"]
    assert [v["version"] for v in eleven_v] == [0, 1, 2, 3, 4]
    assert (eleven_v[3]["data"]["name"], eleven_v[3]["data"]["role"]) == ("User 11", "Role.MEMBER")
    assert eleven_v[3]["user_info"] == {"user_id": ACTOR, "remote_addr": None}
    assert eleven_v[3]["extra_info"] == {"rationale": REASON}
    assert library["11"]["diffs"][-1]["changes"]["name"] == ["User 11", "User 11 again"]
    assert [v["version"] for v in library["12"]["versions"]] == [0, 1, 2, 0]  # created, renamed, deleted, again


def test_chrononaut_inferred_sets_revert_set_based(runner: CliRunner, story_clone: StoryClone,
                                                   tmp_path: Path) -> None:
    url, _ = story_clone("postgresql", "chrononaut_04 + bulk rows", _chrononaut)
    other, _ = story_clone("postgresql", "chrononaut_04 + bulk rows", _chrononaut)
    grouped, role = _sets_revert_set_based(url)
    live = _revert_both_ways(runner, url, other, role, tmp_path, "appuser", "chrononaut_activity", "changed")
    assert live[11]["role"] == "MEMBER"  # user 11's promotion undone
    live = _revert_both_ways(runner, url, other, grouped, tmp_path, "appuser", "chrononaut_activity", "changed")
    assert not [k for k in live if k >= 10]  # the rows the session created, deleted


POTION_MORE = """
import datetime, time
def call(method, path, body=None):
    resp = app_mod.client.open(path, method=method, data=None if body is None else json.dumps(body),
                               content_type="application/json")
    assert resp.status_code in (200, 201, 204), (method, path, resp.status_code, resp.get_data(as_text=True))
    time.sleep(0.01)
    return resp.get_json() if resp.data else None
ids = []
for i in range(4):
    made = call("POST", "/article", {"title": f"Draft {i}", "body": "Notes.", "author": {"$ref": "/author/1"}})
    ids.append(int(made["$uri"].rsplit("/", 1)[-1]))
call("PATCH", f"/article/{ids[0]}", {"title": "Draft 0, reworded"})
at = datetime.datetime.now(datetime.timezone.utc).isoformat()
for n, i in enumerate(ids):
    published = app_mod.ms(datetime.datetime(2024, 5, n + 1, 8))
    call("PATCH", f"/article/{i}", {"title": f"Final {n}", "published_at": published})
call("PATCH", f"/article/{ids[1]}", {"author": {"$ref": "/author/2"}, "body": "Rewritten."})
call("DELETE", f"/article/{ids[2]}")
print(json.dumps({"at": at, "ids": ids}))
"""


def _potion(url: str) -> dict[str, Any]:
    load_fixture(url, "potion")
    made: dict[str, Any] = run_library("potion", url, POTION_MORE)
    return made


def test_potion_bulk_restore_writes_what_single_restores_write(runner: CliRunner, story_clone: StoryClone) -> None:
    url, made = story_clone("postgresql", "potion + bulk rows", _potion)
    other, _ = story_clone("postgresql", "potion + bulk rows", _potion)
    last = _newest_id(url, "history_record")
    ids = made["ids"]
    doc = _restore(runner, url, "article", made["at"])
    assert (doc["restored"], doc["recreated"]) == (4, 0), doc
    assert len(doc["statements"]) == 3
    for key in ids:
        _restore(runner, other, "article", made["at"], str(key))
    live, written = _same_both_ways(url, other, "article", "history_record", last, "updated_at")
    assert len(written) == 4
    one = live[ids[1]]
    assert (one["title"], one["body"], one["author_id"], one["published_at"], one["is_archived"]) == (
        "Draft 1", "Notes.", 1, None, False)
    assert live[ids[0]]["title"] == "Draft 0, reworded"
    record = next(r for r in written if r["object_id"] == ids[1])
    assert record["changes"] == [
        {"attribute": "title", "old": "Final 1", "new": "Draft 1"},
        {"attribute": "body", "old": "Rewritten.", "new": "Notes."},
        {"attribute": "published_at", "old": {"$date": 1714636800000}, "new": None},
        {"attribute": "author", "old": {"$ref": "/author/2"}, "new": {"$ref": "/author/1"}}]

    library = run_library("potion", url, f"""
patch = app_mod.client.open("/article/{ids[1]}", method="PATCH", data=json.dumps({{"title": "Again"}}),
                            content_type="application/json")
history = app_mod.client.get("/article/{ids[1]}/history")
print(json.dumps({{"patch": patch.status_code, "status": history.status_code, "history": history.get_json()}}))
""")
    assert (library["patch"], library["status"]) == (200, 200)
    served = library["history"]
    assert [c["changes"] for c in served[-2:]] == [record["changes"], [
        {"attribute": "title", "old": "Draft 1", "new": "Again"}]]


def test_potion_inferred_sets_revert_set_based(runner: CliRunner, story_clone: StoryClone, tmp_path: Path) -> None:
    url, made = story_clone("postgresql", "potion + bulk rows", _potion)
    other, _ = story_clone("postgresql", "potion + bulk rows", _potion)
    grouped, _ = _sets_revert_set_based(url)
    live = _revert_both_ways(runner, url, other, grouped, tmp_path, "article", "history_record", "updated_at")
    assert [(live[i]["title"], live[i]["is_archived"]) for i in made["ids"]] == [
        (f"Draft {n}", False) for n in range(4)]  # every PATCH of the session undone, the archive too
