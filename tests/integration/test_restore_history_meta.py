"""Restore, undelete and archive on tables versioned by SQLAlchemy's history_meta example, run for real.

After chrono writes, the example's own ORM API must read a complete history (the pre-restore state is a
row of ``<Model>.__history_mapper__.class_``) and its next ordinary update must succeed with version
numbers that simply continue.
"""

from __future__ import annotations

import functools
import json
import types
from typing import Any

import pytest
from sqlalchemy import Boolean, Column, DateTime, Integer, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, sessionmaker

from tests.conftest import StoryClone
from tests.integration.restore_support import checksum, chrono, history_meta_clone
from tests.support.sa_examples import load_history_meta
from tests.support.stories import history_meta_models


@functools.cache
def archive_models() -> types.SimpleNamespace:
    """history_meta models that also carry an archive column (timestamp and boolean)."""
    hm = load_history_meta()

    class Base(DeclarativeBase):
        pass

    class Doc(hm.Versioned, Base):
        __tablename__ = "doc"
        id = Column(Integer, primary_key=True)
        title = Column(String(50), nullable=False)
        archived_at = Column(DateTime, nullable=True)

    class Tag(hm.Versioned, Base):
        __tablename__ = "tag"
        id = Column(Integer, primary_key=True)
        name = Column(String(30), nullable=False)
        is_archived = Column(Boolean, nullable=False, default=False)

    return types.SimpleNamespace(Base=Base, Doc=Doc, Tag=Tag)


def sessions(url: str) -> Any:
    """A sessionmaker with the example's versioning listener, as the application would have it."""
    engine = create_engine(url)
    factory = sessionmaker(engine)
    load_history_meta().versioned_session(factory)
    return engine, factory


def history_of(session: Any, model: Any, key: int) -> list[Any]:
    h = model.__history_mapper__.class_
    return list(session.scalars(select(h).where(h.id == key).order_by(h.version)))


def state(obj: Any, columns: list[str]) -> dict[str, Any]:
    return {c: getattr(obj, c) for c in columns}


def test_restore_then_library_keeps_versioning(runner, backend: str, story_clone: StoryClone) -> None:
    db_url, rec = history_meta_clone(story_clone, backend)
    steps = rec["timelines"]["appuser"][1]
    cols = list(steps[0]["state"])
    before = steps[-1]["state"]
    result = chrono(runner, db_url, "restore", "appuser", "1", "--version", "2", "--yes", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    m = history_meta_models()
    engine, factory = sessions(db_url)
    try:
        with factory() as s:
            hist = history_of(s, m.AppUser, 1)
            assert [h.version for h in hist] == [1, 2, 3, 4, 5]
            assert state(hist[-1], cols) == before  # the pre-restore state is now a version
            user = s.get(m.AppUser, 1)
            assert user.version == 6
            assert state(user, cols) == steps[1]["state"]
            user.name = "Alice, once more"  # the library's next ordinary update
            s.commit()
        with factory() as s:
            hist = history_of(s, m.AppUser, 1)
            assert [h.version for h in hist] == [1, 2, 3, 4, 5, 6]
            assert state(hist[-1], cols) == steps[1]["state"]
            assert s.get(m.AppUser, 1).version == 7
    finally:
        engine.dispose()
    shown = json.loads(chrono(runner, db_url, "-f", "json", "history", "appuser", "1").stdout)
    assert [v["version"] for v in shown["versions"]] == [1, 2, 3, 4, 5, 6, 7]
    assert shown["versions"][5]["values"]["name"] == "Alice Smith"
    # the restore itself can be undone with chrono: back to the state before it (version 5)
    undo = chrono(runner, db_url, "restore", "appuser", "1", "--version", "5", "--only", "name,role,email,balance",
                  "--yes")
    assert undo.exit_code == 0, undo.output
    assert {k: v for k, v in rows_of(db_url, 1).items() if k in before} == before


def rows_of(url: str, key: int) -> dict[str, Any]:
    m = history_meta_models()
    engine, factory = sessions(url)
    try:
        with factory() as s:
            user = s.get(m.AppUser, key)
            return state(user, [c.name for c in m.AppUser.__table__.columns])
    finally:
        engine.dispose()


def test_undelete_then_library_update(runner, sqlite_or_pg_backend: str, story_clone: StoryClone) -> None:
    url, rec = history_meta_clone(story_clone, sqlite_or_pg_backend)
    last = rec["timelines"]["appuser"][2][-2]["state"]  # before the delete
    listed = chrono(runner, url, "-f", "json", "deleted", "appuser")
    assert listed.exit_code == 0, listed.output
    doc = json.loads(listed.stdout)
    assert [r["key"] for r in doc["rows"]] == [{"id": 2}]
    assert doc["rows"][0]["values"]["name"] == last["name"]
    result = chrono(runner, url, "restore", "appuser", "2", "--yes", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "undelete" in result.stderr
    m = history_meta_models()
    engine, factory = sessions(url)
    try:
        with factory() as s:
            user = s.get(m.AppUser, 2)
            assert state(user, list(last)) == last
            assert user.version == 3  # max(history.version) + 1, as the example's default computes it
            user.balance = user.balance + 1
            s.commit()
        with factory() as s:
            assert [h.version for h in history_of(s, m.AppUser, 2)] == [1, 2, 3]
            assert s.get(m.AppUser, 2).version == 4
    finally:
        engine.dispose()
    assert json.loads(chrono(runner, url, "-f", "json", "deleted", "appuser").stdout)["rows"] == []


@pytest.mark.parametrize("model,column", [("doc", "archived_at"), ("tag", "is_archived")])
def test_archive_is_a_versioned_update(runner, sqlite_or_pg_url: str, model: str, column: str) -> None:
    url = sqlite_or_pg_url
    m = archive_models()
    engine, factory = sessions(url)
    try:
        m.Base.metadata.create_all(engine)
        cls = m.Doc if model == "doc" else m.Tag
        field = "title" if model == "doc" else "name"
        with factory() as s:
            s.add(cls(id=1, **{field: "first"}))
            s.add(cls(id=2, **{field: "other"}))
            s.commit()
        with factory() as s:
            setattr(s.get(cls, 1), field, "second")
            s.commit()
        result = chrono(runner, url, "archive", model, "1", "2", "--reason", "GDPR request #81", "--yes",
                        catch_exceptions=False)
        assert result.exit_code == 0, result.output
        listed = json.loads(chrono(runner, url, "-f", "json", "archived", model).stdout)
        assert [r["key"] for r in listed["rows"]] == [{"id": 1}, {"id": 2}]
        assert all(r["when"] for r in listed["rows"])
        with factory() as s:
            obj = s.get(cls, 1)
            assert obj.version == 3 and getattr(obj, column)
            hist = history_of(s, cls, 1)
            assert [h.version for h in hist] == [1, 2]
            assert getattr(hist[-1], field) == "second" and not getattr(hist[-1], column)
            setattr(obj, field, "third")  # the library keeps versioning the archived row
            s.commit()
        again = chrono(runner, url, "archive", model, "1", "--yes")
        assert again.exit_code == 6 and "already archived" in again.stderr
        same = checksum(url)
        assert chrono(runner, url, "restore", model, "1", "--dry-run").exit_code == 0
        assert checksum(url) == same
        result = chrono(runner, url, "restore", model, "1", "--yes")  # archived, no version: unarchive
        assert result.exit_code == 0, result.output
        result = chrono(runner, url, "unarchive", model, "2", "--yes")
        assert result.exit_code == 0, result.output
        with factory() as s:
            obj = s.get(cls, 1)
            assert not getattr(obj, column) and obj.version == 5
            assert [h.version for h in history_of(s, cls, 1)] == [1, 2, 3, 4]
            assert not getattr(s.get(cls, 2), column)
    finally:
        m.Base.metadata.drop_all(engine)
        engine.dispose()
