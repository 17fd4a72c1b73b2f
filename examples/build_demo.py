#!/usr/bin/env python
"""Build examples/demo.sqlite, the demo database that chrono's README starts with.

    python examples/build_demo.py [--output examples/demo.sqlite]

The story (see README_demo_story.md) takes place in November 2026, all times UTC and fixed, so
rerunning this script produces a byte-identical file (given the same SQLite library).

Conventions in the file, and how their rows are written:

* ``users`` / ``users_history``: SQLAlchemy's ``examples/versioned_history/history_meta.py``, the real
  file, fetched from the SQLAlchemy sdist by ``tests/support/sa_examples.py`` (needs PyPI access the
  first time; cached afterwards). ``users.is_archived`` is also an archive (soft-delete) flag.
* ``orders``: SQLAlchemy's ``examples/versioned_rows/versioned_rows_w_versionid.py`` ``Versioned``
  mixin, the real file, same mechanism. The shape has no time column.
* ``articles`` + ``history_record``: the Flask-Potion ``HistoryMixin`` and ``ArchivingResource``
  recipes (docs/recipes.rst); Flask-Potion itself is not used, ``_potion_patch()`` writes exactly
  the rows its ``before_update`` handler and ``SQLAlchemyManager.update()`` would.
* ``sessions.deleted_at``: soft delete as sqlalchemy-easy-softdelete does it (nullable
  ``DateTime(timezone=True)``, set to ``datetime.now(timezone.utc)``).
"""

from __future__ import annotations

import argparse
import calendar
import hashlib
import os
import random
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sqlalchemy import (  # noqa: E402
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    create_engine,
    event,
    func,
    literal,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker  # noqa: E402

from tests.support.sa_examples import (  # noqa: E402
    configure_quietly,
    load_history_meta,
    load_versioned_rows,
)

hm = load_history_meta()
vr = load_versioned_rows()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in November 2026, UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


# --------------------------------------------------------------------------- schema


class Base(DeclarativeBase):
    pass


class User(hm.Versioned, Base):
    """history_meta: base table ``users`` + ``users_history`` (version, changed)."""

    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(String(120), unique=True, nullable=False)
    name = Column(String(80), nullable=False)
    plan = Column(String(20), nullable=False)
    is_archived = Column(Boolean, nullable=False, default=False)
    # An ordinary app column ("who saved this"): history_meta copies it into every history row,
    # which is the only way an actor shows up with this convention.
    updated_by = Column(String(40))


class Order(vr.Versioned, Base):
    """versioned_rows_w_versionid: (id, version_id) PK, is_current_version; one row per version."""

    __tablename__ = "orders"
    user_id = Column(Integer, ForeignKey("users.id"), nullable=False)
    status = Column(String(20), nullable=False)
    total = Column(Numeric(10, 2), nullable=False)


class Article(Base):
    """A Flask-Potion ArchivingResource + HistoryMixin model."""

    __tablename__ = "articles"
    id = Column(Integer, primary_key=True)
    title = Column(String(200), nullable=False)
    body = Column(Text)
    status = Column(String(20), nullable=False)
    published_at = Column(DateTime)
    author_id = Column(Integer, ForeignKey("users.id"))
    is_archived = Column(Boolean, nullable=False, default=False)


class HistoryRecord(Base):
    """The recipe's model verbatim, except ``changes``: the recipe says ``postgresql.JSONB``, which
    SQLite cannot compile; ``JSON`` is what a SQLite app uses (stored as JSON text)."""

    __tablename__ = "history_record"
    id = Column(Integer, primary_key=True)
    object_type = Column(String(20), index=True, nullable=False)
    object_id = Column(Integer, index=True, nullable=False)
    updated_at = Column(DateTime, default=func.now(), nullable=False)
    changes = Column(JSON)


class LoginSession(Base):
    """sqlalchemy-easy-softdelete style: ``deleted_at`` set instead of DELETE."""

    __tablename__ = "sessions"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("users.id"), nullable=False)
    token = Column(String(64), nullable=False, unique=True)
    user_agent = Column(String(80))
    created_at = Column(DateTime(timezone=True), nullable=False)
    last_seen_at = Column(DateTime(timezone=True))
    deleted_at = Column(DateTime(timezone=True), index=True)


configure_quietly(Base)  # the versioned_rows mixin warns while configuring (see sa_examples)


# --------------------------------------------------------------------------- the story


Event = tuple[datetime, Callable[[Session, datetime], None]]
events: list[Event] = []


def on(when: datetime) -> Callable[[Callable[[Session, datetime], None]], None]:
    def register(fn: Callable[[Session, datetime], None]) -> None:
        events.append((when, fn))

    return register


def new_user(when: datetime, uid: int, email: str, name: str, plan: str) -> None:
    on(when)(lambda s, t: s.add(User(id=uid, email=email, name=name, plan=plan,
                                     is_archived=False, updated_by="signup")))  # fmt: skip


def edit_user(when: datetime, uid: int, by: str, **values: Any) -> None:
    def fn(s: Session, t: datetime) -> None:
        user = s.get(User, uid)
        for k, v in {**values, "updated_by": by}.items():
            setattr(user, k, v)

    on(when)(fn)


def delete_user(when: datetime, uid: int) -> None:
    on(when)(lambda s, t: s.delete(s.get(User, uid)))


FIRST = ["Ada", "Ben", "Chloe", "Dev", "Elif", "Farid", "Gita", "Hugo", "Ines", "Jonas", "Kemi",
         "Liam", "Mira", "Nils", "Olu", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
         "Wen", "Ximena", "Yusuf", "Zoe"]  # fmt: skip
LAST = ["Abara", "Berg", "Costa", "Dahl", "Eze", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
        "Kowal", "Larsen", "Moreau", "Novak", "Ortiz", "Park", "Quispe", "Rossi", "Sato", "Tan"]  # fmt: skip
PLANS = ["free", "pro", "team"]
SUPPORT = ("sam@support", "riley@support")


def story_users() -> None:
    rng = random.Random(2026)
    special = {7, 13, 42}
    for uid in range(1, 51):
        if uid in special:
            continue
        first, last = FIRST[(uid * 7) % len(FIRST)], LAST[(uid * 3) % len(LAST)]
        # sign-ups spread over Nov 2-4, before any order, session or article mentions them
        created = at(2, 8) + timedelta(minutes=60 * uid + rng.randrange(0, 60))
        plan = rng.choice(["free", "free", "pro"])
        new_user(created, uid, f"{first}.{last}{uid}@example.com".lower(), f"{first} {last}", plan)
        when = created
        for _ in range(rng.randint(1, 3)):  # everybody has some history
            when += timedelta(minutes=rng.randrange(60, 3 * 24 * 60))
            kind = rng.choice(["plan", "plan", "name", "email"])
            if kind == "plan":
                plan = rng.choice([p for p in PLANS if p != plan])
                edit_user(when, uid, "self", plan=plan)
            elif kind == "name":
                edit_user(when, uid, "self", name=f"{first} {rng.choice(LAST)}-{last}")
            else:
                edit_user(when, uid, rng.choice(SUPPORT), email=f"{first}.{last}.{uid}@mail.example".lower())

    # User 7: upgrades, then closes the account: the row is deleted (history keeps versions 1-2).
    new_user(at(2, 9, 30), 7, "omar.reyes@example.com", "Omar Reyes", "free")
    edit_user(at(4, 14, 5), 7, "self", plan="pro")
    delete_user(at(12, 17, 40), 7)

    # User 13: renamed, then archived by support (is_archived = 1, an UPDATE -> history row).
    new_user(at(3, 11, 0), 13, "lena.marsh@example.com", "Lena Marsh", "pro")
    edit_user(at(6, 10, 20), 13, "self", name="Lena Marsh-Ito")
    edit_user(at(14, 16, 45), 13, "riley@support", is_archived=True)

    # User 42: the edit war. Dana asked (ticket) to move to "pro" and to show her new surname
    # "Okafor". Sam works the new ticket; Riley works from an older ticket that says "free, Whitfield".
    sam, riley = SUPPORT
    new_user(at(5, 8, 12), 42, "dana.whitfield@example.com", "Dana Whitfield", "free")  # v1
    edit_user(at(16, 9, 2), 42, sam, plan="pro")  # v2
    edit_user(at(16, 9, 17), 42, riley, plan="free")  # v3
    edit_user(at(16, 9, 31), 42, sam, plan="pro", name="Dana Okafor")  # v4
    edit_user(at(16, 9, 48), 42, riley, name="Dana Whitfield")  # v5
    edit_user(at(16, 10, 3), 42, sam, name="Dana Okafor")  # v6
    edit_user(at(16, 10, 26), 42, riley, plan="team")  # v7
    edit_user(at(16, 10, 41), 42, sam, plan="pro")  # v8
    edit_user(at(16, 11, 5), 42, riley, plan="free", name="Dana Whitfield")  # v9
    edit_user(at(16, 11, 38), 42, sam, plan="pro", name="Dana Okafor")  # v10 (current)


def story_orders() -> None:
    def place(when: datetime, oid: int, uid: int, total: str) -> None:
        on(when)(lambda s, t: s.add(Order(id=oid, user_id=uid, status="pending", total=Decimal(total))))

    def current(s: Session, oid: int) -> Order:
        q = select(Order).where(Order.id == oid, Order.is_current_version.is_(True))
        return s.scalars(q).one()

    def move(when: datetime, oid: int, **values: Any) -> None:
        def fn(s: Session, t: datetime) -> None:
            order = current(s, oid)
            for k, v in values.items():
                setattr(order, k, v)

        on(when)(fn)

    lifecycle = [  # (order id, user, total, how far it got)
        (1001, 3, "19.00", "shipped"), (1002, 42, "49.00", "shipped"), (1003, 11, "9.50", "paid"),
        (1004, 27, "120.00", "shipped"), (1005, 42, "15.00", "pending"), (1006, 36, "75.25", "paid"),
        (1007, 13, "30.00", "shipped"), (1008, 8, "12.00", "pending"),
    ]  # fmt: skip
    for i, (oid, uid, total, final) in enumerate(lifecycle):
        t0 = at(6 + i, 12, 0)
        place(t0, oid, uid, total)
        if final in ("paid", "shipped"):
            move(t0 + timedelta(minutes=20), oid, status="paid")
        if final == "shipped":
            move(t0 + timedelta(days=1, hours=3), oid, status="shipped")
    # Order 1009: paid, then support corrected the total; later the current row was deleted with an
    # ordinary ORM delete: version 3 (total 54.00) is gone and versions 1-2 stay, none current.
    place(at(9, 15, 0), 1009, 42, "60.00")
    move(at(9, 15, 10), 1009, status="paid")
    move(at(10, 9, 0), 1009, total=Decimal("54.00"))
    on(at(11, 13, 30))(lambda s, t: s.delete(current(s, 1009)))


def _potion_output(value: Any) -> Any:
    """Potion field output: fields.DateTime -> {"$date": ms since epoch (naive = UTC)}."""
    if isinstance(value, datetime):
        return {"$date": int(calendar.timegm(value.utctimetuple()) * 1000)}
    return value


def _potion_patch(when: datetime, article_id: int, **changes: Any) -> None:
    """What ``SQLAlchemyManager.update()`` + the HistoryMixin ``before_update`` handler write."""

    def fn(s: Session, t: datetime) -> None:
        item = s.get(Article, article_id)
        actual = {k: v for k, v in changes.items() if getattr(item, k) != v}
        record = HistoryRecord(
            object_type=Article.__tablename__,
            object_id=item.id,
            changes=[
                {"attribute": k, "old": _potion_output(getattr(item, k)), "new": _potion_output(v)}
                for k, v in actual.items()
            ],
            # default=func.now() is CURRENT_TIMESTAMP on SQLite: naive UTC text without fraction.
            # A literal of the same text keeps the demo deterministic.
            updated_at=literal(t.strftime("%Y-%m-%d %H:%M:%S")),
        )
        s.add(record)
        for k, v in changes.items():
            setattr(item, k, v)

    on(when)(fn)


def story_articles() -> None:
    def create(when: datetime, aid: int, title: str, body: str, status: str, author: int) -> None:
        published = when.replace(tzinfo=None) if status == "published" else None
        on(when)(lambda s, t: s.add(Article(id=aid, title=title, body=body, status=status,
                                            published_at=published, author_id=author,
                                            is_archived=False)))  # fmt: skip

    create(at(5, 10, 0), 1, "Two-factor authentication", "Turn it on under Settings.", "published", 5)
    create(at(5, 10, 30), 2, "How to change plan", "Open Billing.", "draft", 5)
    create(at(5, 11, 0), 3, "Exporting your data (beta)", "Use Export.", "published", 12)
    create(at(5, 16, 0), 4, "Billing FAQ", "Invoices are monthly.", "published", 12)
    _potion_patch(at(6, 10, 15), 2, title="How to change your plan")
    _potion_patch(at(7, 11, 0), 2, status="published", published_at=datetime(2026, 11, 7, 11, 0))
    _potion_patch(at(8, 9, 45), 3, title="Exporting your data")
    _potion_patch(at(8, 14, 20), 4, body="Invoices are monthly. Refunds within 14 days.")
    _potion_patch(at(9, 8, 5), 2, body="Open Billing, pick a plan, confirm. Downgrades apply at the "
                                       "end of the billing period.")  # fmt: skip
    _potion_patch(at(10, 12, 0), 2, status="published")  # a PATCH with no actual change: changes = []
    _potion_patch(at(15, 17, 30), 3, is_archived=True)  # ArchivingResource.destroy


def story_sessions() -> None:
    agents = ["Firefox/133", "Safari/18", "Chrome/131", "okhttp/4"]

    def login(when: datetime, sid: int, uid: int) -> None:
        token = hashlib.sha256(f"demo-session-{sid}".encode()).hexdigest()[:32]
        on(when)(lambda s, t: s.add(LoginSession(id=sid, user_id=uid, token=token,
                                                 user_agent=agents[sid % len(agents)],
                                                 created_at=t, last_seen_at=t)))  # fmt: skip

    def seen(when: datetime, sid: int) -> None:
        on(when)(lambda s, t: setattr(s.get(LoginSession, sid), "last_seen_at", t))

    def logout(when: datetime, sid: int) -> None:  # easy-softdelete: deleted_at = now(UTC)
        on(when)(lambda s, t: setattr(s.get(LoginSession, sid), "deleted_at", t))

    plan = [  # (session id, user, login day, logged out?)
        (1, 42, 5, True), (2, 42, 16, False), (3, 13, 6, True), (4, 3, 7, False), (5, 11, 8, True),
        (6, 27, 9, False), (7, 36, 10, True), (8, 8, 11, False), (9, 42, 17, True), (10, 20, 12, False),
        (11, 5, 13, True), (12, 12, 14, False),
    ]  # fmt: skip
    for sid, uid, day, out in plan:
        login(at(day, 19, sid), sid, uid)
        seen(at(day, 21, sid), sid)
        if out:
            logout(at(day + 1, 7, sid), sid)


# --------------------------------------------------------------------------- build


def build(output: Path) -> None:
    events.clear()
    story_users()
    story_orders()
    story_articles()
    story_sessions()

    tmp = output.with_name(output.name + ".tmp")
    tmp.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{tmp}")
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        # Table.indexes is a set: create_all's index order follows object hashes, so the schema
        # order in the file could change between runs. Recreate them in name order.
        for table in Base.metadata.sorted_tables:
            for index in sorted(table.indexes, key=lambda ix: str(ix.name)):
                index.drop(conn)
                index.create(conn)
    factory = sessionmaker(engine)
    hm.versioned_session(factory)
    clock: dict[str, datetime] = {}

    # Fixed timestamps: history_meta stamps users_history.changed with a Python-side default,
    # datetime.now(timezone.utc). We do not patch the example: this listener runs after
    # versioned_session's, and gives the history rows it just added the event's fixed time
    # (aware UTC, exactly what the default would produce), so the default never fires.
    @event.listens_for(factory, "before_flush")
    def _stamp(session: Session, _ctx: Any, _instances: Any) -> None:
        history_cls = User.__history_mapper__.class_
        for obj in session.new:
            if isinstance(obj, history_cls) and obj.changed is None:
                obj.changed = clock["now"]

    for when, fn in sorted(events, key=lambda e: e[0]):
        clock["now"] = when
        with factory() as session:
            fn(session, when)
            session.commit()
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM")
    engine.dispose()
    os.replace(tmp, output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("demo.sqlite"))
    args = parser.parse_args()
    build(args.output)
    print(f"wrote {args.output} ({args.output.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
