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

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.restore_support import run_support
from tests.support import audit_logs
from tests.support import paper_trail as paper_trail_support
from tests.support.sa_examples import load_history_meta
from tests.support.stories import history_meta_models, versioned_rows_models
from tests.support.values import plain

Reading = dict[str, Any]  # see the module docstring
Save = tuple[str, str] | None


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


# MariaDB system versioning: the server is the implementation, so its own FOR SYSTEM_TIME ALL is the reading
MARIADB_VERSIONED = {"appuser": (("id", "name", "email", "balance", "attrs", "seen_at", "visits"), "ROW_START",
                                 "ROW_END"),
                     "memo": (("id", "code", "body"), "row_start", "row_end"),
                     "ledger": (("id", "amount", "note"), "ROW_START", "ROW_END")}
MARIADB_JSON = {"attrs"}


def mariadb_versioning(url: str, _workdir: Path, save: Save = None) -> Reading:
    """The server's ``FOR SYSTEM_TIME ALL``: each row one state valid from its row start (version = its ordinal
    among the key's rows); a row that ends where no row of the key starts was deleted (conventions.md 6C). The
    live rows are read without FOR SYSTEM_TIME. Times in UTC (the session time zone set to +00:00)."""
    import json

    from sqlalchemy import text

    engine = create_engine(url)

    def value(column: str, raw: Any) -> Any:
        return json.loads(raw) if column in MARIADB_JSON and raw is not None else plain(raw)

    def read() -> tuple[dict[str, Any], dict[str, Any]]:
        timelines: dict[str, Any] = {}
        live: dict[str, Any] = {}
        with engine.connect() as conn:
            conn.exec_driver_sql("SET time_zone = '+00:00'")
            for table, (columns, start, end) in MARIADB_VERSIONED.items():
                listed = ", ".join(columns)
                now = {str(r.id): {c: value(c, r._mapping[c]) for c in columns}
                       for r in conn.execute(text(f"SELECT {listed} FROM {table}"))}
                out: dict[str, list[dict[str, Any]]] = {}
                ended: dict[str, Any] = {}
                for r in conn.execute(text(f"SELECT {listed}, {start} AS s, {end} AS e FROM {table} "
                                           f"FOR SYSTEM_TIME ALL ORDER BY id, {start}")):
                    key = str(r.id)
                    entries = out.setdefault(key, [])
                    if key in ended and ended[key] != r.s:
                        entries.append({"version": None, "op": "delete", "values": None, "at": plain(ended[key])})
                    number = sum(1 for e in entries if e["values"] is not None) + 1
                    entries.append({"version": number, "op": None, "at": plain(r.s),
                                    "values": {c: value(c, r._mapping[c]) for c in columns}})
                    ended[key] = r.e
                for key, entries in out.items():
                    if key not in now:
                        entries.append({"version": None, "op": "delete", "values": None, "at": plain(ended[key])})
                timelines[table] = out
                live[table] = {key: now.get(key) for key in out}
        return timelines, live

    try:
        timelines, live = read()
        reading: Reading = {"timelines": timelines, "live": live, "saved": None, "after": None}
        if save is not None:
            table, key = save
            column = {"appuser": "name", "memo": "body", "ledger": "note"}[table]
            with engine.begin() as conn:
                conn.execute(text(f"UPDATE {table} SET {column} = CONCAT(COALESCE({column}, ''), ' (saved)') "
                                  "WHERE id = :id"), {"id": int(key)})
                saved = conn.execute(text(f"SELECT {column} FROM {table} WHERE id = :id"), {"id": int(key)}).scalar()
            reading["saved"] = {column: saved}
            reading["after"] = read()[0]
        return reading
    finally:
        engine.dispose()


def django_story(module: str) -> Any:
    """A Django history library's reading (tests/support/<module>.py), in a subprocess: django-reversion's
    ``Version.objects.get_for_object_reference``, django-auditlog's ``LogEntry`` rows and the states its
    ``changes_dict`` gives, django-pghistory's event models. ``build=True`` runs the story first in the same
    process (its record under ``"story"``)."""
    def read(url: str, workdir: Path, save: Save = None, build: bool = False) -> Reading:
        extra = [*(["--save", *save] if save else []), *(["--build"] if build else [])]
        return run_support(module, url, workdir, *extra)

    return read


reversion, auditlog, pghistory = (django_story(f"{n}_story") for n in ("reversion", "auditlog", "pghistory"))


def _period_timeline(rows: list[dict[str, Any]], start: str, end: str, columns: list[str]) -> list[dict[str, Any]]:
    """One key's states ordered by start: the N-th period is version N; a gap between one state's end and the
    next one's start is a deletion (conventions.md 6B/6D: "a delete is a gap")."""
    out: list[dict[str, Any]] = []
    prev_end = None
    for n, row in enumerate(rows, 1):
        if prev_end is not None and row[start] > prev_end:
            out.append({"version": None, "op": "delete", "values": None, "at": plain(prev_end)})
        out.append({"version": n, "op": None, "values": {c: plain(row[c]) for c in columns},
                    "at": plain(row[start])})
        prev_end = row[end]
    return out


def _period_reading(url: str, save: Save, read: Any) -> Reading:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            timelines, live = read(conn)
        reading: Reading = {"timelines": timelines, "live": live, "saved": None, "after": None}
        if save is not None:
            table, key = save
            with engine.begin() as conn:  # an ordinary write: the extension's / trigger's own path
                column = "title" if table == "contract" else "body"
                key_column = "id" if table == "contract" else "code"
                saved = conn.exec_driver_sql(
                    f"UPDATE {table} SET {column} = {column} || ' (saved)' WHERE {key_column} = %(k)s "
                    f"RETURNING {column}", {"k": int(key) if table == "contract" else key}).scalar_one()
                reading["saved"] = {column: saved}
            with engine.connect() as conn:
                reading["after"] = read(conn)[0]
        return reading
    finally:
        engine.dispose()


def periods(url: str, _workdir: Path, save: Save = None) -> Reading:
    """The periods extension: each system-versioned table's ``<t>_with_history`` view (as the extension's
    catalog names it), rows ordered by the period start; excluded columns are left out (not versioned)."""

    def read(conn: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        timelines: dict[str, Any] = {}
        live: dict[str, Any] = {}
        catalog = conn.exec_driver_sql(
            "SELECT sv.table_name::text, sv.view_name::text, p.start_column_name, p.end_column_name, "
            "stp.excluded_column_names::text[], (SELECT a.attname FROM pg_index i JOIN pg_attribute a "
            "ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] WHERE i.indrelid = sv.table_name "
            "AND i.indisprimary) FROM periods.system_versioning sv JOIN periods.periods p USING (table_name, "
            "period_name) JOIN periods.system_time_periods stp USING (table_name, period_name)").all()
        for table, view, start, end, excluded, pk in catalog:
            rows = [dict(r) for r in conn.exec_driver_sql(
                f"SELECT * FROM {view} ORDER BY {pk}, {start}").mappings()]
            columns = [c for c in rows[0] if c not in (start, end, *excluded)] if rows else []
            by_key: dict[str, list[dict[str, Any]]] = {}
            for r in rows:
                by_key.setdefault(str(r[pk]), []).append(r)
            timelines[table] = {k: _period_timeline(v, start, end, columns) for k, v in by_key.items()}
            current = {str(r[pk]): {c: plain(r[c]) for c in columns}
                       for r in conn.exec_driver_sql(f"SELECT * FROM {table}").mappings()}
            live[table] = {k: current.get(k) for k in by_key}
        return timelines, live

    return _period_reading(url, save, read)


def temporal_tables(url: str, _workdir: Path, save: Save = None) -> Reading:
    """temporal_tables: the history table's closed periods then the base row, by plain SQL on the tables the
    versioning trigger names (the columns both tables have; the period bounds from ``sys_period``)."""

    def read(conn: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        timelines: dict[str, Any] = {}
        live: dict[str, Any] = {}
        for table, pk in (("contract", "id"), ("memo", "code")):
            history = f"{table}_history"
            common = [c for (c,) in conn.exec_driver_sql(
                "SELECT h.column_name FROM information_schema.columns h JOIN information_schema.columns b "
                "ON b.table_name = %(t)s AND b.column_name = h.column_name WHERE h.table_name = %(h)s "
                "AND h.column_name <> 'sys_period' ORDER BY h.ordinal_position", {"t": table, "h": history})]
            cols = ", ".join(common)
            rows = [dict(r) for r in conn.exec_driver_sql(
                f"SELECT {cols}, lower(sys_period) AS valid_from, upper(sys_period) AS valid_to FROM {history} "
                f"UNION ALL SELECT {cols}, lower(sys_period), upper(sys_period) FROM {table} "
                f"ORDER BY {pk}, valid_from").mappings()]
            by_key: dict[str, list[dict[str, Any]]] = {}
            for r in rows:
                by_key.setdefault(str(r[pk]), []).append(r)
            timelines[table] = {k: _period_timeline(v, "valid_from", "valid_to", common) for k, v in by_key.items()}
            current = {str(r[pk]): {c: plain(r[c]) for c in common}
                       for r in conn.exec_driver_sql(f"SELECT {cols} FROM {table}").mappings()}
            live[table] = {k: current.get(k) for k in by_key}
        return timelines, live

    return _period_reading(url, save, read)


def postgresql_audit(url: str, workdir: Path, save: Save = None, build: bool = False) -> Reading:
    """postgresql-audit: the ``Activity`` model's rows of each record (``Activity.data``), in a subprocess.

    ``build=True`` runs the story first in the same process (its record under ``"story"``).
    """
    extra = [*(["--save", *save] if save else []), *(["--build"] if build else [])]
    return run_support("postgresql_audit_story", url, workdir, *extra)


def audit_log(kind: str) -> Any:
    """A hand-installed audit trigger's log read as its documentation says, in plain SQL (tests/support/audit_logs.py:
    no implementation is installable from the registries here, so the suite installs its own trigger)."""
    def read(url: str, _workdir: Path, save: Save = None) -> Reading:
        return audit_logs.read(url, kind, save)

    return read


def paper_trail(url: str, _workdir: Path, save: Save = None) -> Reading:
    """Rails PaperTrail: ``reify`` of the next version (before a touch, completed by ``changeset``), the live
    record after the newest one, in Ruby (tests/support/paper_trail_reading.rb)."""
    return paper_trail_support.reading(url, save)


def reversion_format(fmt: str) -> Any:
    """django-reversion's reading of its story serialized in ``fmt`` (tests/support/reversion_formats_story.py)."""
    def read(url: str, workdir: Path, save: Save = None, build: bool = False) -> Reading:
        extra = [*(["--save", *save] if save else []), *(["--build"] if build else [])]
        return run_support("reversion_formats_story", url, workdir, "--format", fmt, *extra)

    return read


# django-pghistory with the context denormalized into each event (ContextJSONField)
pghistory_json = django_story("pghistory_json_story")
