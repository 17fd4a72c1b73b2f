"""A long-lived process that runs fuzz steps through a library configured once per process.

    python -m tests.fuzz.worker continuum|continuum-nouser|continuum-joined|simple-history URL

SQLAlchemy-Continuum (``make_versioned`` and mapper configuration are process-global) and Django
(``settings.configure`` once) cannot be set up per example inside the test process. The worker reads one JSON
command per line on stdin and answers one JSON line on stdout: ``{"result": ...}`` or ``{"error": traceback}``.

    {"cmd": "reset"}                       empty the model's tables (history included)
    {"cmd": "apply", "step": [...]}         one transaction of actions (see strategies.py)
    {"cmd": "reading", "key": 1}           the library's own reading of the key (see check.py)
    {"cmd": "write", "key": 1}             the library's next ordinary write of the key (if it exists)
    {"cmd": "live", "key": 1}              continuum-joined: the object's values now (None: gone)
    {"cmd": "state_at", "key": 1, "at": T} continuum-joined: its values at time T by Continuum's reading

Nothing here imports ``chrono_cli``.
"""

from __future__ import annotations

import json
import sys
import traceback
from typing import Any

from tests.fuzz.wire import decode, encode

THING = ("label", "note", "amount", "ratio", "flag", "day", "at", "naive", "data", "blob", "color", "owner_id")
SH_COLUMNS = ("id", "label", "short", "note", "amount", "ratio", "flag", "day", "at", "data", "blob", "color",
              "owner_id")  # djangofuzz.Thing's columns (attnames), history fields left out


class Continuum:
    """Continuum with PropertyModTracker and TransactionChanges; ``thing`` with a single-table subclass."""

    def __init__(self, url: str, user: bool) -> None:
        import enum

        import sqlalchemy as sa
        from sqlalchemy.orm import declarative_base, sessionmaker
        from sqlalchemy_continuum import make_versioned, version_class, versioning_manager
        from sqlalchemy_continuum.plugins import PropertyModTrackerPlugin, TransactionChangesPlugin

        make_versioned(user_cls="User" if user else None,
                       plugins=[PropertyModTrackerPlugin(), TransactionChangesPlugin()])
        Base = declarative_base()

        class Color(enum.Enum):
            RED = "red"
            GREEN = "green"
            BLUE = "blue"

        if user:
            class User(Base):  # found by Continuum through the class registry
                __tablename__ = "user"
                id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
                username = sa.Column(sa.String(50), nullable=False)

        class Owner(Base):
            __tablename__ = "owner"
            id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)

        class Thing(Base):
            __tablename__ = "thing"
            __versioned__: dict[str, Any] = {}
            __table_args__ = {"mysql_charset": "utf8mb4"}
            id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
            kind = sa.Column(sa.String(20), nullable=False)
            label = sa.Column(sa.Unicode(40))
            note = sa.Column(sa.Text)
            amount = sa.Column(sa.Numeric(12, 2))
            ratio = sa.Column(sa.Double)
            flag = sa.Column(sa.Boolean)
            day = sa.Column(sa.Date)
            at = sa.Column(sa.DateTime(timezone=True))
            naive = sa.Column(sa.DateTime)
            data = sa.Column(sa.JSON)
            blob = sa.Column(sa.LargeBinary)
            color = sa.Column(sa.Enum(Color, name="fuzz_color"))
            owner_id = sa.Column(sa.Integer, sa.ForeignKey("owner.id"))
            __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "thing"}

        class Special(Thing):
            extra = sa.Column(sa.String(30))
            __mapper_args__ = {"polymorphic_identity": "special"}

        sa.orm.configure_mappers()
        self.sa, self.Color, self.Thing, self.Special = sa, Color, Thing, Special
        self.Version = version_class(Thing)
        self.manager = versioning_manager
        self.engine = sa.create_engine(url)
        Base.metadata.create_all(self.engine)
        self.metadata, self.user = Base.metadata, user
        self.factory = sessionmaker(self.engine)
        with self.factory() as s:
            s.add_all([Owner(id=1), Owner(id=2)])
            if user:
                s.add_all([User(id=1, username="alice"), User(id=2, username="bob")])
            s.commit()

    def reset(self) -> None:
        keep = {"owner", "user"}
        with self.engine.begin() as conn:
            for table in reversed(self.metadata.sorted_tables):
                if table.name not in keep:
                    conn.execute(self.sa.delete(table))

    def apply(self, step: list[Any]) -> None:
        with self.factory() as s:
            for action in step:
                obj = s.get(self.Thing, action[1])
                if action[0] == "delete":
                    if obj is not None:
                        s.delete(obj)
                    continue
                _, key, values, cls = action
                if self.user and values.get("owner_id") is not None:  # the step's actor: the owner's number
                    self.manager.unit_of_work(s).create_transaction(s).user_id = values["owner_id"]
                if obj is None:
                    obj = (self.Special if cls == "special" else self.Thing)(id=key)
                    s.add(obj)
                for column, value in values.items():
                    if column != "extra" or isinstance(obj, self.Special):
                        value = decode(value)
                        setattr(obj, column, self.Color[value] if column == "color" and value else value)
            s.commit()

    def reading(self, key: int) -> list[dict[str, Any]]:
        V = self.Version
        ops = {0: "insert", 1: "update", 2: "delete"}
        with self.factory() as s:
            versions = s.scalars(self.sa.select(V).where(V.id == key).order_by(V.transaction_id)).all()
            live = s.get(self.Thing, key)
            out = []
            for i, v in enumerate(versions):
                if v.operation_type == 2:
                    out.append({"values": None})
                    continue
                cols = ("id", "kind", *THING, *(("extra",) if hasattr(v, "extra") else ()))
                entry = {"values": {c: encode(getattr(v, c)) for c in cols}, "op": ops[v.operation_type],
                         "number": v.transaction_id, "current": live is not None and i == len(versions) - 1}
                if self.user:
                    user = v.transaction.user
                    entry["actor"] = None if user is None else user.username
                out.append(entry)
        return out

    def write(self, key: int) -> None:
        with self.factory() as s:
            obj = s.get(self.Thing, key)
            if obj is not None:
                obj.label = "next" if obj.label != "next" else "next again"  # always a change, fits VARCHAR(40)
                s.commit()


class ContinuumJoined:
    """Continuum (PropertyModTracker, TransactionChanges) on a joined-inheritance hierarchy: ``jitem`` (id, kind,
    title, note) and ``jbook`` (id -> jitem.id, isbn, pages). A put of an existing object keeps its class (joined
    inheritance cannot change it) and sets the columns its class has."""

    COLUMNS = {"item": ("title", "note"), "book": ("title", "note", "isbn", "pages")}

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa
        from sqlalchemy.orm import declarative_base, sessionmaker
        from sqlalchemy_continuum import make_versioned, version_class
        from sqlalchemy_continuum.plugins import PropertyModTrackerPlugin, TransactionChangesPlugin

        make_versioned(user_cls=None, plugins=[PropertyModTrackerPlugin(), TransactionChangesPlugin()])
        Base = declarative_base()

        class Item(Base):
            __tablename__ = "jitem"
            __versioned__: dict[str, Any] = {}
            __table_args__ = {"mysql_charset": "utf8mb4"}
            id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
            kind = sa.Column(sa.String(20), nullable=False)
            title = sa.Column(sa.Unicode(40))
            note = sa.Column(sa.Text)
            # loaded with its subclass's columns: Continuum's delete of a book loaded as an item reads its isbn
            # after the flush ("Deferred loader for attribute 'isbn' failed to populate correctly")
            __mapper_args__ = {"polymorphic_on": kind, "polymorphic_identity": "item", "with_polymorphic": "*"}

        class Book(Item):
            __tablename__ = "jbook"
            id = sa.Column(sa.Integer, sa.ForeignKey("jitem.id"), primary_key=True, autoincrement=False)
            isbn = sa.Column(sa.String(20))
            pages = sa.Column(sa.Integer)
            __mapper_args__ = {"polymorphic_identity": "book"}

        sa.orm.configure_mappers()
        self.sa, self.Item, self.Book = sa, Item, Book
        self.Version = version_class(Item)
        self.engine = sa.create_engine(url)
        Base.metadata.create_all(self.engine)
        self.metadata = Base.metadata
        self.factory = sessionmaker(self.engine)

    def reset(self) -> None:
        with self.engine.begin() as conn:
            for table in reversed(self.metadata.sorted_tables):
                conn.execute(self.sa.delete(table))

    def apply(self, step: list[Any]) -> str:
        """One transaction; returns the time just after its commit (aware UTC, ISO)."""
        from datetime import UTC, datetime

        with self.factory() as s:
            for action in step:
                obj = s.get(self.Item, action[1])
                if action[0] == "delete":
                    if obj is not None:
                        s.delete(obj)
                    continue
                _, key, values, cls = action
                if obj is None:
                    obj = (self.Book if cls == "book" else self.Item)(id=key)
                    s.add(obj)
                for column, value in values.items():
                    if column in self.COLUMNS[obj.kind]:
                        setattr(obj, column, value)
            s.commit()
        return datetime.now(UTC).isoformat()

    def _values(self, obj: Any) -> dict[str, Any]:
        return {"kind": obj.kind, **{c: getattr(obj, c) for c in self.COLUMNS[obj.kind]}}

    def live(self, key: int) -> dict[str, Any] | None:
        with self.factory() as s:
            obj = s.get(self.Item, key)
            return None if obj is None else self._values(obj)

    def state_at(self, key: int, at: str) -> dict[str, Any] | None:
        """The object's state at ``at`` by Continuum's own reading: its newest version object up to the newest
        transaction issued by then (None: it did not exist then)."""
        from datetime import datetime

        from sqlalchemy_continuum import versioning_manager

        moment = datetime.fromisoformat(at).replace(tzinfo=None)  # issued_at is naive UTC
        tx, V = versioning_manager.transaction_cls, self.Version
        with self.factory() as s:
            top = s.scalar(self.sa.select(self.sa.func.max(tx.id)).where(tx.issued_at <= moment))
            if top is None:
                return None
            v = s.scalars(self.sa.select(V).where(V.id == key, V.transaction_id <= top)
                          .order_by(V.transaction_id.desc()).limit(1)).first()
            return None if v is None or v.operation_type == 2 else self._values(v)

    def write(self, key: int) -> None:
        with self.factory() as s:
            obj = s.get(self.Item, key)
            if obj is not None:
                obj.title = "next" if obj.title != "next" else "next again"
                s.commit()


class SimpleHistory:
    """django-simple-history on ``djangofuzz.Thing``; ``_reason``/``_user`` in a put set the change reason and
    the history user of that save."""

    def __init__(self, url: str) -> None:
        import django
        from django.conf import settings

        from tests.support.simple_history_story import _database

        settings.configure(
            INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "simple_history",
                            "tests.fuzz.djangofuzz"],
            DATABASES={"default": _database(url)}, USE_TZ=True, TIME_ZONE="UTC",
            DEFAULT_AUTO_FIELD="django.db.models.BigAutoField", MIGRATION_MODULES={"djangofuzz": None})
        django.setup()
        from django.contrib.auth.models import User
        from django.core.management import call_command

        from tests.fuzz.djangofuzz.models import Owner, Thing

        call_command("migrate", verbosity=0)
        call_command("migrate", run_syncdb=True, verbosity=0)
        Owner.objects.bulk_create([Owner(id=1), Owner(id=2)])
        self.users = {1: User.objects.create(id=1, username="alice"), 2: User.objects.create(id=2, username="bob")}
        self.Thing = Thing
        self.fields = SH_COLUMNS

    def reset(self) -> None:
        self.Thing.history.all().delete()
        self.Thing.objects.all().delete()
        self.Thing.history.all().delete()

    def apply(self, step: list[Any]) -> None:
        from django.db import transaction

        with transaction.atomic():
            for action in step:
                obj = self.Thing.objects.filter(pk=action[1]).first()
                if action[0] == "delete":
                    if obj is not None:
                        obj.delete()
                    continue
                _, key, values, _cls = action
                obj = obj or self.Thing(id=key)
                for column, value in values.items():
                    if column == "_reason":
                        obj._change_reason = value
                    elif column == "_user":
                        obj._history_user = self.users.get(value)
                    elif column != "extra":
                        setattr(obj, column, decode(value))
                obj.save()

    def reading(self, key: int) -> list[dict[str, Any]]:
        ops = {"+": "insert", "~": "update", "-": "delete"}
        records = list(self.Thing.history.filter(id=key).order_by("history_date", "history_id"))
        live = self.Thing.objects.filter(pk=key).exists()
        out = []
        for i, h in enumerate(records):
            if h.history_type == "-":
                out.append({"values": None})
                continue
            out.append({"values": {f: encode(getattr(h, f)) for f in self.fields}, "op": ops[h.history_type],
                        "current": live and i == len(records) - 1, "reason": h.history_change_reason,
                        "actor": None if h.history_user is None else h.history_user.username})
        return out

    def write(self, key: int) -> None:
        obj = self.Thing.objects.filter(pk=key).first()
        if obj is not None:
            obj.label = "next" if obj.label != "next" else "next again"  # always a change, fits VARCHAR(40)
            obj.save()


def main() -> None:
    kind, url = sys.argv[1], sys.argv[2]
    lib: Any = SimpleHistory(url) if kind == "simple-history" else ContinuumJoined(url) \
        if kind == "continuum-joined" else Continuum(url, user=kind == "continuum")
    print(json.dumps({"result": "ready"}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        try:
            cmd = command["cmd"]
            if cmd == "reset":
                result = lib.reset()
            elif cmd == "apply":
                result = lib.apply(command["step"])
            elif cmd == "reading":
                result = lib.reading(command["key"])
            elif cmd == "live":
                result = lib.live(command["key"])
            elif cmd == "state_at":
                result = lib.state_at(command["key"], command["at"])
            else:
                result = lib.write(command["key"])
            print(json.dumps({"result": result}), flush=True)
        except Exception:  # noqa: BLE001 - reported to the test process, which fails with it
            print(json.dumps({"error": traceback.format_exc()}), flush=True)


if __name__ == "__main__":
    main()
