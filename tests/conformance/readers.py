"""Each library's own reading of a story database, in one shape the conformance suite compares with chrono.

A reading is ``{"timelines": {table: {key: [entry, ...]}}, "live": {table: {key: values | None}},
"saved": {column: value} | None, "after": timelines | None}``; an entry is ``{"version": ..., "op":
"insert" | "update" | "delete" | None, "values": {...} | None, "at": iso | None, "actor": ..., "reason": ...}``
(``op`` None: the library records no operation; ``at``: when the version began by the library's clock;
``at``/``actor``/``reason`` absent: the library records no such thing). With ``save=(table, key)`` the
library then makes one ordinary save of that record and ``after`` is read once more. SQLAlchemy's examples
are read in-process through their own mapped classes; Continuum and simple-history in a subprocess
(tests/support/*_reading.py); Chrononaut and Flask-Potion through their pinned virtualenvs
(``run_library``, dump_readers.py).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.restore_support import run_support
from tests.support import paper_trail as paper_trail_support
from tests.support.sa_examples import load_history_meta
from tests.support.stories import history_meta_models, versioned_rows_models

Reading = dict[str, Any]  # see the module docstring
Save = tuple[str, str] | None


def plain(value: Any) -> Any:
    """A JSON-like value: Decimal as str, datetime as ISO text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _values(obj: Any, columns: list[str]) -> dict[str, Any]:
    """The columns the object's own mapped class maps (a subclass of single-table inheritance maps its own)."""
    mapped = {a.key for a in inspect(type(obj)).column_attrs}
    return {c: plain(getattr(obj, c)) for c in columns if c in mapped}


def history_meta(url: str, _workdir: Path, save: Save = None) -> Reading:
    """history_meta: the history class's rows (superseded versions) then the live object (current version).

    A version began when the previous history row's state ended (its ``changed``); the first has no known
    start. The history class maps no single-table subclass columns, so those are not part of the reading
    (the library never writes them there, conventions.md 2A). No actor, no reason.
    """
    m = history_meta_models()
    models = {"appuser": m.AppUser, "employee": m.Employee}
    engine = create_engine(url)
    factory = sessionmaker(engine)
    load_history_meta().versioned_session(factory)

    def read() -> tuple[dict[str, Any], dict[str, Any]]:
        timelines: dict[str, Any] = {}
        live: dict[str, Any] = {}
        with factory() as s:
            for table, cls in models.items():
                hist = cls.__history_mapper__.class_
                columns = [c.key for c in cls.__table__.columns if c.key != "version"]
                out: dict[str, list[dict[str, Any]]] = {}
                ended: dict[str, Any] = {}  # a history row's `changed`: when its state was superseded
                for h in s.scalars(select(hist).order_by(hist.id, hist.version)):
                    key = str(h.id)
                    out.setdefault(key, []).append({"version": h.version, "op": None, "values": _values(h, columns),
                                                    "at": plain(ended.get(key)), "actor": None, "reason": None})
                    ended[key] = h.changed
                for obj in s.scalars(select(cls).order_by(cls.id)):
                    key = str(obj.id)
                    out.setdefault(key, []).append({"version": obj.version, "op": None,
                                                    "values": _values(obj, columns), "at": plain(ended.get(key)),
                                                    "actor": None, "reason": None})
                timelines[table] = out
                live[table] = {}
                for key in out:
                    obj = s.get(cls, int(key))
                    live[table][key] = None if obj is None else _values(obj, columns)
        return timelines, live

    try:
        timelines, live = read()
        reading: Reading = {"timelines": timelines, "live": live, "saved": None, "after": None}
        if save is not None:
            with factory() as s:
                obj = s.get(models[save[0]], int(save[1]))
                assert obj is not None, save
                obj.name = obj.name + " (saved)"
                s.commit()
                reading["saved"] = {"name": obj.name}
            reading["after"] = read()[0]
        return reading
    finally:
        engine.dispose()


def versioned_rows(url: str, _workdir: Path, save: Save = None) -> Reading:
    """versioned_rows_w_versionid: every row of a key in version_id order; the current one is the live row."""
    price = versioned_rows_models().Price
    columns = ["id", "sku", "amount"]
    engine = create_engine(url)

    def read() -> tuple[dict[str, Any], dict[str, Any]]:
        out: dict[str, list[dict[str, Any]]] = {}
        live: dict[str, Any] = {}
        with Session(engine) as s:
            for row in s.scalars(select(price).order_by(price.id, price.version_id)):
                out.setdefault(str(row.id), []).append({"version": row.version_id, "op": None,
                                                        "values": _values(row, columns)})
                live.setdefault(str(row.id), None)
                if row.is_current_version:
                    live[str(row.id)] = _values(row, columns)
        return {"price": out}, {"price": live}

    try:
        timelines, live = read()
        reading: Reading = {"timelines": timelines, "live": live, "saved": None, "after": None}
        if save is not None:
            with Session(engine) as s:
                now = s.scalars(select(price).where(price.id == int(save[1]),
                                                    price.is_current_version.is_(True))).one()
                now.sku = now.sku + "-S"
                s.commit()
                reading["saved"] = {"sku": now.sku}
            reading["after"] = read()[0]
        return reading
    finally:
        engine.dispose()


def continuum(*options: str) -> Any:
    """SQLAlchemy-Continuum with the story's ``options``: ``version_class(Model)`` rows, in a subprocess.

    ``build=True`` runs the story first in the same process (its record under ``"story"``).
    """
    def read(url: str, workdir: Path, save: Save = None, build: bool = False) -> Reading:
        extra = [*(["--save", *save] if save else []), *(["--build"] if build else [])]
        return run_support("continuum_reading", url, workdir, *options, *extra)

    return read


def simple_history(url: str, workdir: Path, save: Save = None, build: bool = False) -> Reading:
    """django-simple-history: ``Model.history`` records and their m2m history, in a subprocess.

    ``build=True`` runs the story first in the same process (its record under ``"story"``).
    """
    extra = [*(["--save", *save] if save else []), *(["--build"] if build else [])]
    return run_support("simple_history_reading", url, workdir, *extra)


def paper_trail(url: str, _workdir: Path, save: Save = None) -> Reading:
    """Rails PaperTrail: ``reify`` of the next version (before a touch, completed by ``changeset``), the live
    record after the newest one, in Ruby (tests/support/paper_trail_reading.rb)."""
    return paper_trail_support.reading(url, save)
