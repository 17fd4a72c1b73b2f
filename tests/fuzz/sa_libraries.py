"""In-process drivers for SQLAlchemy's own versioning examples: history_meta (with single-table inheritance) and
versioned_rows, on models with every fuzzed column type.

The models are declared once per process (the examples build their history mappers at class creation). Each
test function gets its own database; ``reset()`` empties the tables between examples.
"""

from __future__ import annotations

import enum
import functools
import types
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    Unicode,
    create_engine,
    delete,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from tests.fuzz.wire import decode, encode
from tests.support.sa_examples import configure_quietly, load_history_meta, load_versioned_rows

COLUMNS = ("label", "note", "amount", "ratio", "flag", "day", "at", "naive", "data", "blob", "color", "owner_id")


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


def _columns() -> dict[str, Column[Any]]:
    return {
        "label": Column(Unicode(40)),
        "note": Column(Text),
        "amount": Column(Numeric(12, 2)),
        "ratio": Column(Double),
        "flag": Column(Boolean),
        "day": Column(Date),
        "at": Column(DateTime(timezone=True)),
        "naive": Column(DateTime),
        "data": Column(JSON),
        "blob": Column(LargeBinary),
        "color": Column(Enum(Color, name="fuzz_color")),
        "owner_id": Column(Integer, ForeignKey("owner.id")),
    }


@functools.cache
def history_meta_models() -> types.SimpleNamespace:
    """``thing`` versioned by history_meta, with a single-table subclass ``special`` adding ``extra``."""
    hm = load_history_meta()

    class Base(DeclarativeBase):
        pass

    class Owner(Base):
        __tablename__ = "owner"
        id = Column(Integer, primary_key=True, autoincrement=False)

    Thing = type("Thing", (hm.Versioned, Base), {
        "__tablename__": "thing",
        "__table_args__": {"mysql_charset": "utf8mb4"},
        "id": Column(Integer, primary_key=True, autoincrement=False),
        "kind": Column(String(20), nullable=False),
        **_columns(),
        "__mapper_args__": {"polymorphic_on": "kind", "polymorphic_identity": "thing"},
    })
    Special = type("Special", (Thing,), {
        "extra": Column(String(30)),
        "__mapper_args__": {"polymorphic_identity": "special"},
    })
    return types.SimpleNamespace(Base=Base, Owner=Owner, Thing=Thing, Special=Special,
                                 History=Thing.__history_mapper__.class_)


@functools.cache
def versioned_rows_models() -> types.SimpleNamespace:
    """``vthing`` versioned in-table by versioned_rows_w_versionid."""
    vr = load_versioned_rows()

    class Base(DeclarativeBase):
        pass

    class Owner(Base):
        __tablename__ = "owner"
        id = Column(Integer, primary_key=True, autoincrement=False)

    Thing = type("VThing", (vr.Versioned, Base), {
        "__tablename__": "vthing", "__table_args__": {"mysql_charset": "utf8mb4"}, **_columns()})
    configure_quietly(Base)
    return types.SimpleNamespace(Base=Base, Owner=Owner, Thing=Thing)


def _python(column: str, value: Any) -> Any:
    value = decode(value)
    return Color[value] if column == "color" and value is not None else value


def _state(obj: Any, columns: tuple[str, ...]) -> dict[str, Any]:
    return {c: encode(getattr(obj, c)) for c in columns}


class _SaLibrary:

    def __init__(self, url: str, m: types.SimpleNamespace) -> None:
        self.m = m
        self.engine = create_engine(url)
        m.Base.metadata.create_all(self.engine)
        self.factory = sessionmaker(self.engine)
        with self.factory() as s:
            if s.get(m.Owner, 1) is None:
                s.add_all([m.Owner(id=1), m.Owner(id=2)])
                s.commit()

    def close(self) -> None:
        self.engine.dispose()

    def reset(self) -> None:
        with self.engine.begin() as conn:
            for table in reversed(self.m.Base.metadata.sorted_tables):
                if table.name != "owner":
                    conn.execute(delete(table))


class HistoryMeta(_SaLibrary):
    """history_meta: history rows are the states before each change, the live row the current one."""

    table = "thing"
    columns = ("id", "kind", "extra", *COLUMNS)

    def __init__(self, url: str) -> None:
        super().__init__(url, history_meta_models())
        load_history_meta().versioned_session(self.factory)

    def apply(self, step: list[Any]) -> None:
        m = self.m
        with self.factory() as s:
            for action in step:
                obj = s.get(m.Thing, action[1])
                if action[0] == "delete":
                    if obj is not None:
                        s.delete(obj)
                    continue
                _, key, values, cls = action
                if obj is None:
                    obj = (m.Special if cls == "special" else m.Thing)(id=key)
                    s.add(obj)
                for column, value in values.items():
                    if column != "extra" or isinstance(obj, m.Special):
                        setattr(obj, column, _python(column, value))
            s.commit()

    def reading(self, key: int) -> list[dict[str, Any]]:
        m = self.m
        mapped = {p.key for p in m.Thing.__history_mapper__.column_attrs}
        with self.factory() as s:
            hist = s.scalars(select(m.History).where(m.History.id == key).order_by(m.History.version)).all()
            out = [{"values": _state(h, tuple(c for c in self.columns if c in mapped)), "number": h.version,
                    "current": False, "unrecorded": [c for c in self.columns if c not in mapped]} for h in hist]
            live = s.get(m.Thing, key)
            if live is not None:
                cols = self.columns if isinstance(live, m.Special) else tuple(c for c in self.columns if c != "extra")
                out.append({"values": _state(live, cols), "number": live.version, "current": True})
            elif out:
                out.append({"values": None})  # base row gone: the last history row is the deleted state
        return out

    def ordinary_write(self, key: int) -> None:
        with self.factory() as s:
            obj = s.get(self.m.Thing, key)
            if obj is None:
                return
            old = obj.version
            obj.label = "next" if obj.label != "next" else "next again"  # always a change, fits VARCHAR(40)
            s.commit()
            assert obj.version == old + 1


class VersionedRows(_SaLibrary):
    """versioned_rows_w_versionid: every version is a row; the current one has is_current_version."""

    table = "vthing"
    columns = ("id", *COLUMNS)

    def __init__(self, url: str) -> None:
        super().__init__(url, versioned_rows_models())

    def _current(self, s: Session, key: int) -> Any:
        return s.scalars(select(self.m.Thing).where(self.m.Thing.id == key,
                                                    self.m.Thing.is_current_version.is_(True))).one_or_none()

    def apply(self, step: list[Any]) -> None:
        with self.factory() as s:
            for action in step:
                obj = self._current(s, action[1])
                if action[0] == "delete":
                    if obj is not None:
                        s.delete(obj)
                    continue
                _, key, values, _cls = action
                if obj is None:
                    if s.scalars(select(self.m.Thing).where(self.m.Thing.id == key)).first() is not None:
                        continue  # its current row was deleted: the example cannot insert the key again
                    obj = self.m.Thing(id=key)
                    s.add(obj)
                for column, value in values.items():
                    if column != "extra":
                        setattr(obj, column, _python(column, value))
            s.commit()

    def reading(self, key: int) -> list[dict[str, Any]]:
        T = self.m.Thing
        with self.factory() as s:
            rows = s.scalars(select(T).where(T.id == key).order_by(T.version_id)).all()
            out: list[dict[str, Any]] = [{"values": _state(r, self.columns), "number": r.version_id,
                                          "current": bool(r.is_current_version)} for r in rows]
        if out and not any(e["current"] for e in out):
            out.append({"values": None})  # an ORM delete removed the current row and left the older ones
        return out

    def ordinary_write(self, key: int) -> None:
        with self.factory() as s:
            obj = self._current(s, key)
            if obj is None:
                return
            obj.label = "next" if obj.label != "next" else "next again"  # always a change, fits VARCHAR(40)
            s.commit()
