"""A history_meta story (SQLAlchemy's real ``versioned_history/history_meta.py``) where the application keeps who
saved a document last in ``docs.last_editor_id``, a foreign key to ``editors``: chrono shows the editor's email."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine
from sqlalchemy.orm import DeclarativeBase, sessionmaker

from tests.support.sa_examples import load_history_meta

hm = load_history_meta()
EDITORS = {1: "ann@example.com", 2: "bob@example.com"}
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Editor(Base):
    __tablename__ = "editors"
    id = Column(Integer, primary_key=True)
    email = Column(String(80), nullable=False, unique=True)


class Doc(hm.Versioned, Base):
    __tablename__ = "docs"
    id = Column(Integer, primary_key=True)
    title = Column(String(80), nullable=False)
    change_reason = Column(String(80))
    last_editor_id = Column(Integer, ForeignKey("editors.id"))


def build(url: str) -> list[tuple[int, str]]:
    """Doc 7 saved by ann, then bob (with a reason), then ann again; returns (editor id, title) per save."""
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    session = sessionmaker(bind=engine)()
    hm.versioned_session(session)
    session.add_all([Editor(id=i, email=e) for i, e in EDITORS.items()])
    saves = [(1, "draft", None), (2, "review", "typo"), (1, "final", None)]
    doc = Doc(id=7, title=saves[0][1], last_editor_id=saves[0][0])
    session.add(doc)
    session.commit()
    for editor, title, reason in saves[1:]:
        doc.title, doc.last_editor_id, doc.change_reason = title, editor, reason
        session.commit()
    session.close()
    engine.dispose()
    return [(e, t) for e, t, _ in saves]


def build_many(url: str, count: int) -> str:
    """``count`` docs saved by ann, then all retitled by bob in one commit; returns an ISO time between the two."""
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    session = sessionmaker(bind=engine)()
    hm.versioned_session(session)
    session.add_all([Editor(id=i, email=e) for i, e in EDITORS.items()])
    docs = [Doc(id=i, title=f"doc {i}", last_editor_id=1) for i in range(1, count + 1)]
    session.add_all(docs)
    session.commit()
    between = datetime.now(UTC).isoformat()
    for doc in docs:
        doc.title, doc.last_editor_id = f"doc {doc.id} (edited)", 2
    session.commit()
    session.close()
    engine.dispose()
    return between
