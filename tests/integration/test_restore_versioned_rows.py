"""Restore and undelete on SQLAlchemy's versioned_rows_w_versionid example, run for real.

chrono writes what the example's ``new_version()`` does: every row of the key gets is_current_version =
false and the new state is INSERTed with the next version_id. Afterwards the example's own ORM update
must keep working (no primary-key collision, version_id continues).
"""

from __future__ import annotations

import functools
import json
import types
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Column, DateTime, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Session

from tests.conftest import StoryClone
from tests.integration.restore_support import chrono, versioned_rows_clone
from tests.support.sa_examples import load_versioned_rows
from tests.support.stories import versioned_rows_models


@functools.cache
def listing_model() -> Any:
    """A versioned_rows model that also has an archive timestamp."""
    vr = load_versioned_rows()

    class Base(DeclarativeBase):
        pass

    class Listing(vr.Versioned, Base):
        __tablename__ = "listing"
        title = Column(String(40), nullable=False)
        archived_at = Column(DateTime, nullable=True)

    return types.SimpleNamespace(Base=Base, Listing=Listing)


def versions(session: Session, key: int) -> list[Any]:
    p = versioned_rows_models().Price
    return list(session.scalars(select(p).where(p.id == key).order_by(p.version_id)))


def current(session: Session, key: int) -> Any:
    p = versioned_rows_models().Price
    return session.scalars(select(p).where(p.id == key, p.is_current_version.is_(True))).one()


def test_restore_is_a_new_version_row(runner, backend: str, story_clone: StoryClone) -> None:
    db_url, rec = versioned_rows_clone(story_clone, backend)
    steps = rec["timelines"]["price"][1]
    result = chrono(runner, db_url, "restore", "price", "1", "--version", "2", "--yes", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    engine = create_engine(db_url)
    try:
        with Session(engine) as s:
            rows = versions(s, 1)
            assert [r.version_id for r in rows] == [1, 2, 3, 4, 5]
            assert [r.is_current_version for r in rows] == [False] * 4 + [True]
            assert (rows[3].sku, rows[3].amount) == (steps[-1]["state"]["sku"], steps[-1]["state"]["amount"])
            now = current(s, 1)
            assert (now.sku, now.amount) == ("A-100", Decimal("12.50"))
            assert now.calc_is_current_version
            now.amount = Decimal("14.00")  # the example's next ordinary update
            s.commit()
        with Session(engine) as s:
            assert [r.version_id for r in versions(s, 1)] == [1, 2, 3, 4, 5, 6]
            assert current(s, 1).amount == Decimal("14.00")
    finally:
        engine.dispose()


def test_undelete_in_table_versions(runner, sqlite_or_pg_backend: str, story_clone: StoryClone) -> None:
    url, rec = versioned_rows_clone(story_clone, sqlite_or_pg_backend)
    listed = json.loads(chrono(runner, url, "-f", "json", "deleted", "price").stdout)
    assert [r["key"] for r in listed["rows"]] == [{"id": 2}]
    result = chrono(runner, url, "restore", "price", "2", "--yes", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    first = rec["timelines"]["price"][2][0]["state"]  # the example deleted version 2 outright
    engine = create_engine(url)
    try:
        with Session(engine) as s:
            now = current(s, 2)
            assert (now.version_id, now.sku, now.amount) == (2, first["sku"], first["amount"])
            now.sku = "B-201"
            s.commit()
        with Session(engine) as s:
            assert [(r.version_id, r.is_current_version) for r in versions(s, 2)] == [(1, False), (2, False),
                                                                                     (3, True)]
    finally:
        engine.dispose()
    assert json.loads(chrono(runner, url, "-f", "json", "deleted", "price").stdout)["rows"] == []


@pytest.mark.filterwarnings("ignore:implicitly coercing SELECT object to scalar subquery")  # the example's own code
def test_archive_is_a_new_version_row(runner, sqlite_or_pg_url: str) -> None:
    url = sqlite_or_pg_url
    m = listing_model()
    engine = create_engine(url)
    try:
        m.Base.metadata.create_all(engine)
        lst = m.Listing
        with Session(engine) as s:
            s.add(lst(id=1, title="flat"))
            s.commit()
        with Session(engine) as s:
            s.scalars(select(lst).where(lst.id == 1)).one().title = "flat, 2 rooms"
            s.commit()
        result = chrono(runner, url, "archive", "listing", "1", "--yes", catch_exceptions=False)
        assert result.exit_code == 0, result.output
        listed = json.loads(chrono(runner, url, "-f", "json", "archived", "listing").stdout)
        assert [r["key"] for r in listed["rows"]] == [{"id": 1}]
        with Session(engine) as s:
            rows = list(s.scalars(select(lst).where(lst.id == 1).order_by(lst.version_id)))
            assert [(r.version_id, r.is_current_version, r.archived_at is not None) for r in rows] == [
                (1, False, False), (2, False, False), (3, True, True)]
            rows[-1].title = "flat, archived"  # the example's next update: version 4, still archived
            s.commit()
        result = chrono(runner, url, "unarchive", "listing", "1", "--yes", catch_exceptions=False)
        assert result.exit_code == 0, result.output
        with Session(engine) as s:
            rows = list(s.scalars(select(lst).where(lst.id == 1).order_by(lst.version_id)))
            assert [r.version_id for r in rows] == [1, 2, 3, 4, 5]
            assert (rows[-1].title, rows[-1].archived_at, rows[-1].is_current_version) == ("flat, archived", None,
                                                                                           True)
        assert json.loads(chrono(runner, url, "-f", "json", "archived", "listing").stdout)["rows"] == []
    finally:
        m.Base.metadata.drop_all(engine)
        engine.dispose()
