"""Build real histories with SQLAlchemy's own versioning examples, and return what was done.

Each story creates its tables on the given engine (SQLite file, PostgreSQL, MariaDB/MySQL), performs a
scripted sequence of ORM operations through the *unmodified* example code (see ``sa_examples``), one
session and one commit per step, and returns a plain record (dicts, lists, datetimes, Decimals) that
tests compare chrono's reconstructed timelines against. Nothing here imports ``chrono_cli``.

Record format (``history_meta_story`` and ``versioned_rows_story``)::

    {
      "story": "history_meta" | "versioned_rows",
      "dialect": "sqlite" | "postgresql" | "mysql" | ...,
      "clock": "synthetic" | "wall",
      "tables": {"appuser": {"history_table": "appuser_history", "key": ["id"],
                             "bookkeeping": ["version"]}, ...},
      "near_misses": {"order_status_history": 4},     # plain business tables (name -> row count)
      "steps": [step, ...],                            # in execution order
      "timelines": {"appuser": {1: [step, ...], 2: [...], 3: [...]}, "employee": {...}},
      "final_rows": {"appuser": [row, ...], "appuser_history": [...], ...},   # whole tables, PK order
      "history_mismatches": [{"table": "employee_history", "key": 1, "version": 1,
                              "column": "primary_language", "expected": "ALGOL", "stored": None}, ...],
    }

    ``history_mismatches`` lists history cells that differ from what the app had set for that version.
    With SQLAlchemy 2.1.9 it is not empty: ``history_meta`` appends single-table subclass columns
    (``primary_language``, ``budget``) to ``employee_history`` but never maps them on the history
    classes, so ``create_version()``'s ``setattr`` on them is a plain Python attribute and the
    history rows store NULL. A reader can therefore not reconstruct those columns for superseded
    versions; tests should expect exactly these gaps.

    step = {
      "seq": 1,                      # 1-based commit number within the story
      "table": "appuser", "key": 1,  # the logical row (versioned_rows: the "id", not (id, version_id))
      "op": "insert" | "update" | "delete",
      "state": {...} | None,         # the row as stored after the step, read back from the base table,
                                     # bookkeeping columns removed (history_meta: version;
                                     # versioned_rows: version_id, is_current_version); None after delete
      "changed": ["name", "role"],   # columns whose value the step changed (insert: the non-NULL ones)
      "version": 2,                  # history_meta: base `version` after the step (delete: the version
                                     # of the deleted row = the version of its last history row);
                                     # versioned_rows: version_id of the current row after the step
                                     # (delete: version_id of the row that was deleted)
      "at": datetime,                # aware UTC. synthetic clock: exactly the `changed` value the
                                     # history rows written by this step carry; wall clock: ~started
      "started": datetime, "finished": datetime,   # aware UTC wall-clock bracket of the commit
      "probe_at": datetime,          # a time strictly after this step and before the next one, safe to
                                     # ask "state at T" with (also at the DB's timestamp resolution)
    }

Clocks. ``history_meta`` stamps ``changed`` with ``datetime.now(timezone.utc)`` (aware, written into a
naive ``DateTime`` column). With ``clock="synthetic"`` (the default) the story does not patch the
example: it adds its own ``before_flush`` listener *after* ``versioned_session``'s and fills in
``changed`` on the new history objects with the step's time (``start + (seq - 1) * gap``, whole
seconds), so the Python-side default never fires. This is fast, deterministic and exact on MariaDB,
whose ``DATETIME`` keeps whole seconds only. ``clock="wall"`` leaves the example's own default in place
and instead sleeps so that every step starts in a new wall-clock second; ``started``/``finished`` bracket
the real stamp. Either way the value is aware UTC, so on PostgreSQL the stored naive ``changed`` is in
the *session* TimeZone (UTC on the local test server; see conventions.md 2A).

Note on "state at T" for history_meta: the first version's start is unknowable (no history row is
written on INSERT), so a reader will show version 1 for any T before the first update.
``expected_state_at()`` answers with what the app had actually set (``None`` before the insert).
"""

from __future__ import annotations

import functools
import time
import types
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, DateTime, Engine, Integer, Numeric, String, create_engine, event, select
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from .sa_examples import configure_quietly, load_history_meta, load_versioned_rows

DEFAULT_START = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
DEFAULT_GAP = timedelta(minutes=1)

Record = dict[str, Any]
Step = dict[str, Any]


# --------------------------------------------------------------------------- models


@functools.cache
def history_meta_models() -> types.SimpleNamespace:
    """Models on ``history_meta.Versioned`` (declared once per process, in their own registry)."""
    hm = load_history_meta()

    class Base(DeclarativeBase):
        pass

    class AppUser(hm.Versioned, Base):
        __tablename__ = "appuser"
        id = Column(Integer, primary_key=True)
        email = Column(String(120), unique=True, nullable=False)
        name = Column(String(80))
        role = Column(String(20))
        balance = Column(Numeric(10, 2))
        created = Column(DateTime)

    class Employee(hm.Versioned, Base):
        __tablename__ = "employee"
        id = Column(Integer, primary_key=True)
        name = Column(String(50), nullable=False)
        type = Column(String(20), nullable=False)
        __mapper_args__ = {"polymorphic_on": type, "polymorphic_identity": "employee"}

    class Engineer(Employee):
        primary_language = Column(String(30))  # single-table: lands on "employee"
        __mapper_args__ = {"polymorphic_identity": "engineer"}

    class Manager(Employee):
        budget = Column(Numeric(12, 2))
        __mapper_args__ = {"polymorphic_identity": "manager"}

    class OrderStatusHistory(Base):
        """A plain business table whose name ends in _history: NOT a history_meta table."""

        __tablename__ = "order_status_history"
        id = Column(Integer, primary_key=True)
        order_id = Column(Integer, nullable=False)
        status = Column(String(20), nullable=False)
        changed_at = Column(DateTime, nullable=False)

    history_classes = tuple(cls.__history_mapper__.class_ for cls in (AppUser, Employee, Engineer, Manager))
    return types.SimpleNamespace(
        Base=Base, AppUser=AppUser, Employee=Employee, Engineer=Engineer, Manager=Manager,
        OrderStatusHistory=OrderStatusHistory, history_classes=history_classes,
    )  # fmt: skip


@functools.cache
def versioned_rows_models() -> types.SimpleNamespace:
    """Models on the ``versioned_rows_w_versionid.Versioned`` mixin, in their own registry."""
    vr = load_versioned_rows()

    class Base(DeclarativeBase):
        pass

    class Price(vr.Versioned, Base):
        __tablename__ = "price"
        # id, version_id (composite PK) and is_current_version come from the mixin
        sku = Column(String(32), nullable=False)
        amount = Column(Numeric(10, 2))

    configure_quietly(Base)
    return types.SimpleNamespace(Base=Base, Price=Price)


# --------------------------------------------------------------------------- stories


def history_meta_story(
    engine: Engine | str,
    *,
    clock: str = "synthetic",
    start: datetime = DEFAULT_START,
    gap: timedelta = DEFAULT_GAP,
    reset: bool = True,
) -> Record:
    """Users, single-table-inheritance employees and a near miss, versioned by ``history_meta``.

    appuser 1: insert + 4 updates (several columns); 2: insert, update, delete; 3: insert, delete,
    re-insert with the same id (base version continues at 2), update. employee: engineer id=1 and
    manager id=2 (subclass-only columns ``primary_language`` / ``budget``), each updated twice.
    ``order_status_history`` gets a few plain rows. ``reset`` drops the story's tables first.
    """
    hm = load_history_meta()
    m = history_meta_models()
    eng, owned = _engine(engine)
    try:
        if reset:
            m.Base.metadata.drop_all(eng)
        m.Base.metadata.create_all(eng)
        factory = sessionmaker(eng)
        hm.versioned_session(factory)
        rec = _Recorder("history_meta", eng, factory, clock, start, gap)
        if rec.synthetic:
            # Registered after versioned_session's listener, so it sees the history rows it added.
            @event.listens_for(factory, "before_flush")
            def _stamp(session: Session, _ctx: Any, _instances: Any) -> None:
                for obj in session.new:
                    if isinstance(obj, m.history_classes) and obj.changed is None:
                        obj.changed = rec.now

        users = m.AppUser.__table__
        emps = m.Employee.__table__
        rec.table(users, "appuser_history", ["version"])
        rec.table(emps, "employee_history", ["version"])
        U, E, M = m.AppUser, m.Engineer, m.Manager

        def upd(cls: type, key: int, **values: Any) -> Callable[[Session], None]:
            def fn(s: Session) -> None:
                obj = s.get(cls, key)
                for k, v in values.items():
                    setattr(obj, k, v)

            return fn

        def delete(cls: type, key: int) -> Callable[[Session], None]:
            return lambda s: s.delete(s.get(cls, key))

        def add(cls: type, **values: Any) -> Callable[[Session], None]:
            def fn(s: Session) -> None:
                if cls is U:
                    values.setdefault("created", rec.now_naive)
                s.add(cls(**values))

            return fn

        d = Decimal
        rec.step(
            users,
            1,
            "insert",
            add(U, id=1, email="alice@example.com", name="Alice", role="member", balance=d("0.00")),
        )
        rec.step(
            users,
            2,
            "insert",
            add(U, id=2, email="bob@example.com", name="Bob", role="member", balance=d("5.00")),
        )
        rec.step(users, 1, "update", upd(U, 1, name="Alice Smith", role="admin"))
        rec.step(
            users,
            3,
            "insert",
            add(U, id=3, email="carol@example.com", name="Carol", role="member", balance=d("1.00")),
        )
        rec.step(users, 2, "update", upd(U, 2, balance=d("7.50")))
        rec.step(users, 1, "update", upd(U, 1, balance=d("12.34")))
        rec.step(users, 3, "delete", delete(U, 3))
        rec.step(emps, 1, "insert", add(E, id=1, name="Edsger", primary_language="ALGOL"))
        rec.step(emps, 2, "insert", add(M, id=2, name="Grace", budget=d("1000.00")))
        rec.step(users, 1, "update", upd(U, 1, email="alice@corp.example", name="Alice S."))
        rec.step(users, 2, "delete", delete(U, 2))
        rec.step(emps, 1, "update", upd(E, 1, primary_language="Pascal"))
        rec.step(
            users,
            3,
            "insert",
            add(U, id=3, email="carol@example.com", name="Carol (again)", role="member", balance=d("0.00")),
        )
        rec.step(emps, 2, "update", upd(M, 2, budget=d("2500.00")))
        rec.step(users, 1, "update", upd(U, 1, role="owner", balance=d("99.99")))
        rec.step(emps, 1, "update", upd(E, 1, name="Edsger W.", primary_language="Go"))
        rec.step(users, 3, "update", upd(U, 3, name="Carol", balance=d("3.00")))
        rec.step(emps, 2, "update", upd(M, 2, name="Grace H.", budget=d("0.00")))

        osh = m.OrderStatusHistory
        base_naive = start.replace(tzinfo=None)
        with factory.begin() as s:
            for i, (order_id, status) in enumerate(
                [(100, "placed"), (100, "paid"), (101, "placed"), (100, "shipped")], 1
            ):
                s.add(osh(id=i, order_id=order_id, status=status,
                          changed_at=base_naive + timedelta(minutes=i)))  # fmt: skip
        rec.near_misses["order_status_history"] = 4
        return rec.finish(m.Base.metadata)
    finally:
        if owned:
            eng.dispose()


def versioned_rows_story(
    engine: Engine | str,
    *,
    clock: str = "synthetic",
    start: datetime = DEFAULT_START,
    gap: timedelta = DEFAULT_GAP,
    reset: bool = True,
) -> Record:
    """Prices versioned in-table by ``versioned_rows_w_versionid``.

    price 1: insert + 3 updates (versions 1..4); price 2: insert, one update, then an ordinary ORM
    delete of its current row (version 2), which leaves version 1 behind with is_current_version
    false. The table has no time column, so the step times are only the order of events.
    """
    m = versioned_rows_models()
    eng, owned = _engine(engine)
    try:
        if reset:
            m.Base.metadata.drop_all(eng)
        m.Base.metadata.create_all(eng)
        factory = sessionmaker(eng)  # the example's listener is on the Session class itself
        rec = _Recorder("versioned_rows", eng, factory, clock, start, gap)
        prices = m.Price.__table__
        rec.table(prices, None, ["version_id", "is_current_version"])
        P = m.Price

        def current(s: Session, key: int) -> Any:
            return s.scalars(select(P).where(P.id == key, P.is_current_version.is_(True))).one()

        def upd(key: int, **values: Any) -> Callable[[Session], None]:
            def fn(s: Session) -> None:
                obj = current(s, key)
                for k, v in values.items():
                    setattr(obj, k, v)

            return fn

        d = Decimal
        rec.step(prices, 1, "insert", lambda s: s.add(P(id=1, sku="A-100", amount=d("10.00"))))
        rec.step(prices, 2, "insert", lambda s: s.add(P(id=2, sku="B-200", amount=d("20.00"))))
        rec.step(prices, 1, "update", upd(1, amount=d("12.50")))
        rec.step(prices, 2, "update", upd(2, amount=d("18.00")))
        rec.step(prices, 1, "update", upd(1, sku="A-100X", amount=d("13.00")))
        rec.step(prices, 2, "delete", lambda s: s.delete(current(s, 2)))
        rec.step(prices, 1, "update", upd(1, amount=d("9.99")))
        return rec.finish(m.Base.metadata)
    finally:
        if owned:
            eng.dispose()


def expected_state_at(record: Record, table: str, key: Any, when: datetime) -> Step | None:
    """The last step of (table, key) committed at or before ``when`` (``None`` if none).

    ``step["state"]`` is then the app's state at ``when`` (``None`` = deleted). Raises ValueError when
    ``when`` falls inside a step's wall-clock bracket (ambiguous).
    """
    found = None
    for step in record["timelines"][table][key]:
        if step["finished"] <= when:
            found = step
        elif step["started"] <= when:
            raise ValueError(f"{when} is inside step {step['seq']}; pick a step's probe_at")
    return found


# --------------------------------------------------------------------------- machinery


def _engine(engine: Engine | str) -> tuple[Engine, bool]:
    if isinstance(engine, str):
        return create_engine(engine), True
    return engine, False


class _Recorder:
    def __init__(
        self, story: str, engine: Engine, factory: sessionmaker[Session], clock: str,
        start: datetime, gap: timedelta,
    ) -> None:  # fmt: skip
        if clock not in ("synthetic", "wall"):
            raise ValueError(f"clock must be 'synthetic' or 'wall', not {clock!r}")
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware (UTC)")
        self.story, self.engine, self.factory = story, engine, factory
        self.synthetic = clock == "synthetic"
        self.start = start.astimezone(UTC).replace(microsecond=0)
        self.gap = gap
        self.steps: list[Step] = []
        self.tables: dict[str, dict[str, Any]] = {}
        self._table_objs: dict[str, Any] = {}
        self.near_misses: dict[str, int] = {}
        self.now = self.start

    @property
    def now_naive(self) -> datetime:
        return self.now.replace(tzinfo=None, microsecond=0)

    def table(self, table: Any, history_table: str | None, bookkeeping: list[str]) -> None:
        self._table_objs[table.name] = table
        self.tables[table.name] = {
            "history_table": history_table,
            "key": [c.name for c in table.primary_key if c.name not in bookkeeping],
            "bookkeeping": bookkeeping,
        }

    def step(self, table: Any, key: Any, op: str, fn: Callable[[Session], None]) -> Step:
        seq = len(self.steps) + 1
        if self.synthetic:
            self.now = self.start + (seq - 1) * self.gap
            started = self.now
        else:
            if self.steps:  # start in a new second: MariaDB DATETIME truncates to seconds
                prev = self.steps[-1]["finished"]
                boundary = prev.replace(microsecond=0) + timedelta(seconds=1)
                time.sleep(max(0.0, (boundary - datetime.now(UTC)).total_seconds()) + 0.02)
            started = self.now = datetime.now(UTC)
        with self.factory() as session:
            fn(session)
            session.commit()
        finished = started if self.synthetic else datetime.now(UTC)
        version, state = self._read_back(table, key, op)
        before = self._last_state(table.name, key)
        step: Step = {
            "seq": seq, "table": table.name, "key": key, "op": op, "state": state,
            "changed": _changed(before, state), "version": version,
            "at": started, "started": started, "finished": finished,
        }  # fmt: skip
        self.steps.append(step)
        return step

    def _last_state(self, table: str, key: Any) -> dict[str, Any] | None:
        for step in reversed(self.steps):
            if step["table"] == table and step["key"] == key:
                return step["state"]  # type: ignore[no-any-return]
        return None

    def _read_back(self, table: Any, key: Any, op: str) -> tuple[int | None, dict[str, Any] | None]:
        info = self.tables[table.name]
        (keycol,) = info["key"]
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(select(table).where(table.c[keycol] == key))]
        if self.story == "versioned_rows":
            current = [r for r in rows if r["is_current_version"]]
            if op == "delete":  # the deleted row was the previous step's current version
                prev = [s for s in self.steps if s["table"] == table.name and s["key"] == key]
                return prev[-1]["version"], None
            (row,) = current
            version = row["version_id"]
        else:
            if op == "delete":
                assert not rows, rows
                prev = [s for s in self.steps if s["table"] == table.name and s["key"] == key]
                return prev[-1]["version"], None
            (row,) = rows
            version = row["version"]
        return version, {k: v for k, v in row.items() if k not in info["bookkeeping"]}

    def finish(self, metadata: Any) -> Record:
        # probe_at: halfway to the next step, rounded down to a whole second where possible.
        for i, step in enumerate(self.steps):
            if self.synthetic:
                step["probe_at"] = step["at"] + self.gap / 2
            else:
                nxt = self.steps[i + 1]["started"] if i + 1 < len(self.steps) else None
                boundary = step["finished"].replace(microsecond=0) + timedelta(seconds=1)
                end = min(boundary, nxt) if nxt else boundary
                step["probe_at"] = step["finished"] + (end - step["finished"]) / 2
        timelines: dict[str, dict[Any, list[Step]]] = {name: {} for name in self.tables}
        for step in self.steps:
            timelines[step["table"]].setdefault(step["key"], []).append(step)
        final_rows = {}
        with self.engine.connect() as conn:
            for t in metadata.sorted_tables:
                order = list(t.primary_key.columns) or list(t.columns)
                final_rows[t.name] = [dict(r._mapping) for r in conn.execute(select(t).order_by(*order))]
        return {
            "history_mismatches": self._history_mismatches(final_rows),
            "story": self.story,
            "dialect": self.engine.dialect.name,
            "clock": "synthetic" if self.synthetic else "wall",
            "tables": self.tables,
            "near_misses": self.near_misses,
            "steps": self.steps,
            "timelines": timelines,
            "final_rows": final_rows,
        }

    def _history_mismatches(self, final_rows: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """History cells that differ from the state the app had set for that version."""
        out = []
        for name, info in self.tables.items():
            hist = info["history_table"]
            if not hist:
                continue
            (keycol,) = info["key"]
            stored = {(r[keycol], r["version"]): r for r in final_rows[hist]}
            for step in self.steps:
                row = stored.get((step["key"], step["version"]))
                if step["table"] != name or step["state"] is None or row is None:
                    continue
                for col, expected in step["state"].items():
                    if row.get(col) != expected:
                        out.append({"table": hist, "key": step["key"], "version": step["version"],
                                    "column": col, "expected": expected, "stored": row.get(col)})  # fmt: skip
        return out


def _changed(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    if after is None:
        return []
    if before is None:
        return sorted(k for k, v in after.items() if v is not None)
    return sorted(k for k in after if after[k] != before.get(k))
