"""Differential fuzzing of the set-based restore of joined-inheritance objects (services/bulk_joined.py).

The real SQLAlchemy-Continuum writes random stories of items and books (``jitem``, and ``jbook`` extending it) in a
worker process (tests/fuzz/worker.py ``continuum-joined``). Then ``chrono restore jbook|jitem --at T
--all-changed-since S`` is planned set-based and must decide every object as restoring it alone, one by one
(services/bulk_objects.py, each as a single ``chrono restore``), decides it: the same objects written, each with the
same action and the same new values, the others skipped (an object of the subclass deleted since, or a deleted
object whose key an object of another class holds now: refused alone, skipped in bulk). Then the set-based restore
is written, and Continuum's own reading must show each written object in its state at T (restored from ``jitem``:
its item columns, its book columns as they were), the others as they were, every version table with one open
version row per object, and the library's next ordinary save must work.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from chrono_cli import conventions
from chrono_cli.config import Config
from chrono_cli.errors import NothingToWrite, Refused
from chrono_cli.services.bulk_objects import plan_objects
from chrono_cli.services.bulk_restore import BulkPlan, apply_bulk_restore, context, plan_bulk_restore
from chrono_cli.services.target import history_detection, open_target
from chrono_cli.services.times import parse_time
from chrono_cli.services.workspace import Settings, Workspace
from chrono_cli.services.writeset import default_reason, resolve_meta
from tests.fuzz.remote import Remote
from tests.fuzz.strategies import examples

KEYS = (1, 2, 3, 4)
WORDS = st.one_of(st.text(st.sampled_from("ab é😀'"), min_size=1, max_size=8), st.none(), st.just(""))
VALUES = {"title": WORDS, "note": WORDS, "isbn": st.one_of(st.text("0123456789-", min_size=1, max_size=20), st.none()),
          "pages": st.one_of(st.integers(-(2**31), 2**31 - 1), st.none())}


@pytest.fixture
def joined(sqlite_or_pg_url: str) -> Iterator[Remote]:
    lib = Remote("continuum-joined", sqlite_or_pg_url, "jitem", ())
    yield lib
    lib.close()


@st.composite
def _put(draw: st.DrawFn, key: int, cls: str) -> list[Any]:
    chosen = draw(st.lists(st.sampled_from(sorted(VALUES)), min_size=1, unique=True))
    return ["put", key, {c: draw(VALUES[c]) for c in sorted(chosen)}, cls]


@st.composite
def _stories(draw: st.DrawFn) -> list[list[Any]]:
    """Steps of one to three puts and deletes; each key keeps one class (a key deleted and re-created as another
    class is an object whose class changed, which the set-based restore skips: test_restore_joined_set.py)."""
    classes = {k: draw(st.sampled_from(["item", "book"])) for k in KEYS}

    @st.composite
    def step(draw: st.DrawFn) -> list[Any]:
        keys = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=3, unique=True))
        return [draw(st.one_of(_put(k, classes[k]), _put(k, classes[k]), st.just(["delete", k]))) for k in keys]

    return draw(st.lists(step(), min_size=3, max_size=7))


def _workspace(url: str) -> Workspace:
    return Workspace(Settings(url, (), Config()))


def _changed(url: str, table: str, since: str) -> list[tuple[Any, ...]]:
    """The keys a bulk restore of ``table`` with --all-changed-since ``since`` takes."""
    ws = _workspace(url)
    try:
        with ws.catalog() as cat:
            target = open_target(cat, table)
            det = history_detection(target, None)
            ctx = context(cat, target, det.adapter, default_reason(resolve_meta(ws.config, None, None), "-"),
                          datetime.now(UTC))
            return conventions.of(det).write_bulk().keys_since(ctx, parse_time(since))
    finally:
        ws.close()


def _alone(url: str, table: str, at: str, key: tuple[Any, ...]) -> Any:
    """The object restored alone, as a single restore does: (action, [(column, new value)]), None (nothing to
    write), "refused" (an object of the subclass deleted since) or "taken" (deleted, its key held by an object of
    another class now)."""
    ws = _workspace(url)
    try:
        now = datetime.now(UTC)
        with ws.catalog() as cat:
            target = open_target(cat, table)
            at_t = parse_time(at)
            meta = default_reason(resolve_meta(ws.config, None, None), f"chrono restore: state at {at_t.isoformat()}")
            try:
                (item,) = plan_objects(cat, target, url, [key], at_t, None, None, meta, now).to_json()["items"]
            except NothingToWrite:
                return None
            except Refused as exc:
                if "another class holds the key" in str(exc):
                    return "taken"
                assert "was an object of" in str(exc), exc
                return "refused"
        return item["action"], [(d["column"], d["new"]) for d in item["diff"] if d["column"] != "id"]
    finally:
        ws.close()


def _open_rows(url: str) -> list[Any]:
    """Keys with more than one open version row in either version table (Continuum's validity chain broken)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for t in ("jitem_version", "jbook_version") for r in conn.execute(text(
                f"SELECT '{t}', id FROM {t} WHERE end_transaction_id IS NULL GROUP BY id HAVING count(*) > 1"))]
    finally:
        engine.dispose()


@examples(6)
@given(data=st.data())
def test_joined_bulk_restore_decides_each_object_as_restoring_it_alone(
        sqlite_or_pg_url: str, joined: Remote, data: st.DataObject) -> None:
    url = sqlite_or_pg_url
    story = data.draw(_stories(), label="story")
    joined.reset()
    marks = [joined.apply_at(step) for step in story]
    table = data.draw(st.sampled_from(["jbook", "jitem"]), label="table")
    at = marks[data.draw(st.integers(0, len(marks) - 2), label="at step")]
    since = marks[data.draw(st.integers(0, len(marks) - 2), label="since step")]  # a step follows it
    keys = _changed(url, table, since)
    alone = {k[0]: _alone(url, table, at, k) for k in keys}
    before = {k: joined.live(k) for k in KEYS}
    ws = _workspace(url)
    try:
        try:
            plan = plan_bulk_restore(ws, table, at=at, since=since)
        except NothingToWrite:
            assert all(not isinstance(v, tuple) for v in alone.values()), alone
            event("nothing to write")
            return
        assert isinstance(plan, BulkPlan), "planned one by one"
        doc = plan.to_json()
        written = {r["key"]["id"]: (r["action"], [(d["column"], d["new"]) for d in r["diff"]]) for r in doc["rows"]}
        assert written == {k: v for k, v in alone.items() if isinstance(v, tuple)}
        assert sum(plan.skipped.values()) == len(keys) - len(written)
        assert sum(n for why, n in plan.skipped.items() if "objects deleted since" in why) == \
            sum(1 for v in alone.values() if v == "refused")
        assert sum(n for why, n in plan.skipped.items() if "held by an object of another class" in why) == \
            sum(1 for v in alone.values() if v == "taken")
        event(f"{table}: {sum(1 for v in written.values() if v[0] == 'undelete')} re-created, "
              f"{sum(1 for v in written.values() if v[0] == 'restore')} restored")
        for why in plan.skipped:
            event(f"skipped: {why}")
        apply_bulk_restore(ws, plan)
    finally:
        ws.close()
    for key in KEYS:
        now = joined.live(key)
        if key not in written:
            assert now == before[key], key
            continue
        state = joined.state_at(key, at)
        if table == "jitem" and state is not None and state["kind"] == "book":  # its book columns as they were
            state = {**state, **{c: (before[key] or {}).get(c) for c in ("isbn", "pages")}}
        assert now == state, key
    assert _open_rows(url) == []
    for key in written:
        joined.ordinary_write(key)
    assert _open_rows(url) == []
