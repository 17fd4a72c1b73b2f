"""Build a real SQLAlchemy-Continuum history and write a JSON record of what the application did.

Run in a subprocess (Continuum's ``make_versioned()`` and mapper configuration are process-global)::

    python -m tests.support.continuum_story URL OUT.json [--strategy validity|subquery] [--no-user] [--native]
                                                         [--joined] [--no-tracker]

Models: ``article`` (``views`` excluded from versioning, PropertyModTracker ``_mod`` flags), ``tag`` (with an
archive column ``archived_at``, a nullable naive timestamp the story leaves NULL), and the association table
``article_tag`` (a plain ``secondary`` Table with a composite primary key), versioned by Continuum as
``article_tag_version``. Plugins: PropertyModTracker (not with ``--no-tracker``), TransactionChanges,
TransactionMeta. With a user class
(default) ``transaction.user_id`` references ``user`` and each step may set it; ``--native`` uses PostgreSQL
triggers (``native_versioning=True``, needs the hstore extension). ``--joined`` adds a joined-table
inheritance pair: ``item`` (root: ``id``, discriminator ``kind``, ``title``) and ``book`` (child table:
``id`` -> ``item.id``, ``isbn``), versioned as ``item_version`` + ``book_version``, and runs
``JOINED_STEPS`` after the article steps. Works on SQLite, PostgreSQL and MariaDB (on MariaDB SQLAlchemy
gives ``transaction.id`` a real SEQUENCE ``transaction_id_seq`` and ``issued_at`` is a DATETIME of whole
seconds).

One session and one commit per step. Nothing here imports ``chrono_cli``. Record format::

    {"strategy": "validity", "user": true, "native": false, "dialect": "sqlite",
     "steps": [{
        "seq": 1, "label": "...",
        "tx": 1 | null,                   # the transaction row this commit created (null: none, e.g. an
                                          # update of an excluded column only)
        "issued_at": "2026-...T..." | null,   # transaction.issued_at as stored (naive UTC), read back
        "started": iso, "finished": iso,  # aware UTC wall clock around the commit
        "actor": "bob" | null,            # username of the user the step put on the transaction
        "meta": {"reason": "..."},        # what the step wrote into transaction_meta
        "remote_addr": "10.0.0.7" | null,
        "ops": {"1": ["update"]},         # per article id: what the app did to the row, in order
        "articles": {"1": {...} | null},  # every article's row read back after the commit (None: absent)
        "tags": {"1": [3, 5]}}, ...]      # every article's tag ids read back after the commit
     "joined": [{"seq", "label", "tx", "issued_at", "started", "finished", "actor",
                 "items": {"20": {"id": 20, "kind": "book", "title": ..., "isbn": ...} | null}}, ...],
                                          # --joined only: item LEFT JOIN book per item id after each step
     "excluded": ["views"]}
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, declarative_base, relationship


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def models(*, strategy: str = "validity", user: bool = True, native: bool = False,
           joined: bool = False, tracker: bool = True) -> SimpleNamespace:
    """Declare the story's models under Continuum (once per process).

    Attributes: Base, Article, Tag, article_tag, User (None without a user class), Item and Book (None
    without ``joined``).
    """
    from sqlalchemy_continuum import make_versioned
    from sqlalchemy_continuum.plugins import PropertyModTrackerPlugin, TransactionChangesPlugin, TransactionMetaPlugin

    make_versioned(user_cls="User" if user else None,
                   plugins=[*([PropertyModTrackerPlugin()] if tracker else []), TransactionChangesPlugin(),
                            TransactionMetaPlugin()],
                   options={"strategy": strategy, "native_versioning": native})
    Base = declarative_base()

    User: Any = None
    if user:
        class User(Base):  # type: ignore[no-redef]  # found by Continuum through the class registry
            __tablename__ = "user"
            id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
            username = sa.Column(sa.String(50), nullable=False)

    article_tag = sa.Table(
        "article_tag", Base.metadata,
        sa.Column("article_id", sa.Integer, sa.ForeignKey("article.id"), primary_key=True),
        sa.Column("tag_id", sa.Integer, sa.ForeignKey("tag.id"), primary_key=True))

    class Article(Base):
        __tablename__ = "article"
        __versioned__ = {"exclude": ["views"]}
        id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
        name = sa.Column(sa.String(100), nullable=False)
        content = sa.Column(sa.Text)
        views = sa.Column(sa.Integer, default=0)
        score = sa.Column(sa.Numeric(8, 2))
        tags = relationship("Tag", secondary=article_tag)

    class Tag(Base):
        __tablename__ = "tag"
        __versioned__: dict[str, Any] = {}
        id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
        name = sa.Column(sa.String(30))
        archived_at = sa.Column(sa.DateTime, nullable=True)  # archive column: naive UTC when archived

    Item: Any = None
    Book: Any = None
    if joined:
        class Item(Base):  # type: ignore[no-redef]
            __tablename__ = "item"
            __versioned__: dict[str, Any] = {}
            id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
            kind = sa.Column(sa.String(20), nullable=False)
            title = sa.Column(sa.String(100))
            __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "item"}

        class Book(Item):  # type: ignore[no-redef]
            __tablename__ = "book"
            id = sa.Column(sa.Integer, sa.ForeignKey("item.id"), primary_key=True)
            isbn = sa.Column(sa.String(20))
            __mapper_args__ = {"polymorphic_identity": "book"}

    sa.orm.configure_mappers()
    return SimpleNamespace(Base=Base, Article=Article, Tag=Tag, article_tag=article_tag, User=User, Item=Item,
                           Book=Book)


JOINED_KEYS = (20, 21, 22)


def _joined_steps(m: SimpleNamespace) -> list[tuple[str, Any, int | None]]:
    """(label, fn(session), actor) for the joined-inheritance part of the story."""
    def book(s: Session, id_: int = 20) -> Any:
        return s.get(m.Book, id_)

    return [
        ("insert book 20", lambda s: s.add(m.Book(id=20, title="Dune", isbn="978-0441013593")), 1),
        ("retitle book 20 (root table only)", lambda s: setattr(book(s), "title", "Dune (1965)"), 2),
        ("change book 20's isbn (child table only)", lambda s: setattr(book(s), "isbn", "978-0593099322"), None),
        ("insert plain item 21 and book 22",
         lambda s: s.add_all([m.Item(id=21, title="Bookmark"), m.Book(id=22, title="Emma", isbn="978-0141439587")]),
         1),
        ("retitle book 20 and item 21",
         lambda s: (setattr(book(s), "title", "Dune: Deluxe"), setattr(s.get(m.Item, 21), "title", "Bookmark 2")), 2),
        ("delete book 22", lambda s: s.delete(book(s, 22)), 1),
    ]


def build(url: str, *, strategy: str = "validity", user: bool = True, native: bool = False,
          joined: bool = False, tracker: bool = True) -> dict[str, Any]:
    """Create the tables, run the scripted steps, return the record."""
    from sqlalchemy_continuum import versioning_manager

    m = models(strategy=strategy, user=user, native=native, joined=joined, tracker=tracker)
    Base, Article, Tag, article_tag, User = m.Base, m.Article, m.Tag, m.article_tag, m.User
    engine = sa.create_engine(url)
    if native:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS hstore")
    Base.metadata.create_all(engine)
    tx_table = versioning_manager.transaction_cls.__table__
    steps: list[dict[str, Any]] = []

    def step(label: str, ops: dict[int, list[str]], fn: Any, *, actor: int | None = None,
             meta: dict[str, str] | None = None, remote_addr: str | None = None) -> None:
        with Session(engine) as s:
            before = s.execute(sa.select(sa.func.max(tx_table.c.id))).scalar()
            started = datetime.now(UTC)
            if actor is not None or meta or remote_addr:
                tx = versioning_manager.unit_of_work(s).create_transaction(s)
                if actor is not None:
                    tx.user_id = actor
                if remote_addr:
                    tx.remote_addr = remote_addr
                if meta:
                    tx.meta = meta
            fn(s)
            s.commit()
            finished = datetime.now(UTC)
        with engine.connect() as conn:
            last = conn.execute(sa.select(sa.func.max(tx_table.c.id))).scalar()
            new = last if last != before else None
            issued = conn.execute(sa.select(tx_table.c.issued_at).where(tx_table.c.id == new)).scalar()
            rows = {r.id: {k: _encode(v) for k, v in r._mapping.items() if k != "views"}
                    for r in conn.execute(sa.select(Article.__table__).order_by(Article.id))}
            links: dict[int, list[int]] = {}
            for a, t in conn.execute(sa.select(article_tag.c.article_id, article_tag.c.tag_id)
                                     .order_by(article_tag.c.tag_id)):
                links.setdefault(a, []).append(t)
            users = {1: "alice", 2: "bob"}
        steps.append({"seq": len(steps) + 1, "label": label, "tx": new,
                      "issued_at": issued.isoformat() if issued is not None else None,
                      "started": started.isoformat(), "finished": finished.isoformat(),
                      "actor": users.get(actor) if (user and actor is not None) else None,
                      "meta": meta or {}, "remote_addr": remote_addr,
                      "ops": {str(k): v for k, v in ops.items()},
                      "articles": {str(k): rows.get(k) for k in (1, 2, 3)},
                      "tags": {str(k): links.get(k, []) for k in (1, 2, 3)}})

    if user:
        with Session(engine) as s:
            s.add_all([User(id=1, username="alice"), User(id=2, username="bob")])
            s.commit()

    def add(s: Session, **kw: Any) -> None:
        s.add(Article(**kw))

    def upd(id_: int, **kw: Any) -> Any:
        def fn(s: Session) -> None:
            a = s.get(Article, id_)
            for k, v in kw.items():
                setattr(a, k, v)
        return fn

    def tags(id_: int, add_ids: tuple[int, ...] = (), remove_ids: tuple[int, ...] = ()) -> Any:
        def fn(s: Session) -> None:
            a = s.get(Article, id_)
            for t in add_ids:
                a.tags.append(s.get(Tag, t))
            for t in remove_ids:
                a.tags.remove(s.get(Tag, t))
        return fn

    def insert_then_update(s: Session) -> None:
        s.add(Article(id=3, name="Draft", content="tbd", score=Decimal("0.00")))
        s.flush()
        s.get(Article, 3).name = "Third"

    def both(*fns: Any) -> Any:
        return lambda s: [f(s) for f in fns]

    step("insert article 1 and tags", {1: ["insert"]},
         lambda s: (add(s, id=1, name="First", content="hello", views=0, score=Decimal("1.50")),
                    s.add_all([Tag(id=3, name="news"), Tag(id=5, name="tech")])), actor=1)
    step("insert article 2", {2: ["insert"]}, lambda s: add(s, id=2, name="Second", content="b"), actor=1)
    step("retitle 1 and tag it 3", {1: ["update"]}, both(upd(1, name="First!"), tags(1, (3,))), actor=2,
         meta={"reason": "retitle"})
    step("tag 1 with 5 (membership only)", {}, tags(1, (5,)), actor=2)
    step("count a view of 1 (excluded column only)", {1: ["update"]}, upd(1, views=7))
    step("edit 1's content", {1: ["update"]}, upd(1, content="hello, world"), actor=1,
         meta={"reason": "fix typo", "ticket": "T-1"}, remote_addr="10.0.0.7")
    step("insert 3 and rename it in one transaction", {3: ["insert", "update"]}, insert_then_update)
    step("delete 2", {2: ["delete"]}, lambda s: s.delete(s.get(Article, 2)), actor=2, meta={"comment": "dup"})
    step("re-insert 2", {2: ["insert"]}, lambda s: add(s, id=2, name="Second again", content="b2"), actor=1)
    step("untag 3 from 1 and rescore", {1: ["update"]}, both(tags(1, (), (3,)), upd(1, score=Decimal("2.25"))))
    step("no-op save of 1", {1: ["update"]}, upd(1, name="First!"))
    step("delete 1", {1: ["delete"]}, lambda s: s.delete(s.get(Article, 1)), actor=1)
    joined_steps = _run_joined(engine, m, tx_table, user) if joined else []
    engine.dispose()
    return {"strategy": strategy, "user": user, "native": native, "dialect": engine.dialect.name,
            "excluded": ["views"], "steps": steps, "joined": joined_steps}


def _run_joined(engine: sa.Engine, m: SimpleNamespace, tx_table: sa.Table, user: bool) -> list[dict[str, Any]]:
    """Run the joined-inheritance steps, one commit each, reading ``item LEFT JOIN book`` back after each."""
    item, book = m.Item.__table__, m.Book.__table__
    users = {1: "alice", 2: "bob"}
    out: list[dict[str, Any]] = []
    for label, fn, actor in _joined_steps(m):
        with Session(engine) as s:
            started = datetime.now(UTC)
            if user and actor is not None:
                from sqlalchemy_continuum import versioning_manager

                versioning_manager.unit_of_work(s).create_transaction(s).user_id = actor
            fn(s)
            s.commit()
            finished = datetime.now(UTC)
        with engine.connect() as conn:
            tx, issued = conn.execute(sa.select(tx_table.c.id, tx_table.c.issued_at)
                                      .order_by(tx_table.c.id.desc()).limit(1)).one()
            query = sa.select(item.c.id, item.c.kind, item.c.title, book.c.isbn).select_from(
                item.outerjoin(book, book.c.id == item.c.id))
            rows = {r.id: dict(r._mapping) for r in conn.execute(query)}
        out.append({"seq": len(out) + 1, "label": label, "tx": tx, "issued_at": issued.isoformat(),
                    "started": started.isoformat(), "finished": finished.isoformat(),
                    "actor": users.get(actor) if (user and actor is not None) else None,
                    "items": {str(k): rows.get(k) for k in JOINED_KEYS}})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--strategy", default="validity")
    parser.add_argument("--no-user", action="store_true")
    parser.add_argument("--native", action="store_true")
    parser.add_argument("--joined", action="store_true")
    parser.add_argument("--no-tracker", action="store_true")
    args = parser.parse_args()
    record = build(args.url, strategy=args.strategy, user=not args.no_user, native=args.native,
                   joined=args.joined, tracker=not args.no_tracker)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1)


if __name__ == "__main__":
    main()
