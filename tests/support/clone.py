"""Throwaway databases for tests: build each library story once per run and give every test its own copy.

A story is built once into a template, then copied for each test that asks for it:

* PostgreSQL: ``CREATE DATABASE copy TEMPLATE template`` (a file-level copy on the server, ~0.05 s);
* SQLite: a file copy;
* MariaDB/MySQL (no templates): the template's tables and sequences re-created from ``SHOW CREATE`` and filled
  with ``INSERT ... SELECT`` (everything stays on the server); system-versioned tables with their history
  (``system_versioning_insert_history``). A template with triggers, views, routines or transaction-precise
  system-versioned tables is refused rather than copied incompletely.

The pytest-xdist workers of one run share the templates: the first worker that needs one builds it under a file
lock and pickles the story's record beside it; the others wait for the lock and load the record.

Nothing is dropped while a run goes on (``DROP DATABASE`` per test was most of the old suite's database cost).
Databases are named ``chrono_t_<host>_<pid>_<random>`` (a test's) and ``chrono_tpl_<host>_<pid>_<story>``
(a template), ``<pid>`` being the pytest process that started the run; ``sweep()`` drops those of this host whose
run has ended, and is called once at the start of each run, by the controller only.
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import os
import pickle
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

R = TypeVar("R")
BACKENDS = ("sqlite", "postgresql", "mariadb")
HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:4]
_NAME = re.compile(rf"^chrono_(?:t|tpl)_{HOST}_(\d+)_[0-9a-z_]+$")


class CloneError(RuntimeError):
    """A template cannot be copied faithfully."""


@dataclass(frozen=True)
class Servers:
    """Admin URLs of the servers the tests use (any existing database on them)."""

    postgresql: str
    mariadb: str

    def url(self, backend: str) -> str:
        """The admin URL of ``backend`` ('postgresql' or 'mariadb')."""
        return self.postgresql if backend == "postgresql" else self.mariadb


@dataclass
class Databases:
    """Fresh databases and story copies for one test process (a session-scoped fixture holds one)."""

    run: int  # pid of the process that started the run (the xdist controller, or pytest itself)
    shared: Path  # a directory all processes of the run see: templates, records, locks
    scratch: Path  # this process's own directory for SQLite copies
    servers: Servers
    created: int = 0
    built: float = 0.0  # seconds spent building stories (templates)
    waited: float = 0.0  # seconds spent waiting for a template another process was building
    builds: dict[str, float] = field(default_factory=dict)  # seconds each story this process built took, by tag
    _admins: dict[str, Engine] = field(default_factory=dict)
    _records: dict[str, tuple[Any, dict[str, int]]] = field(default_factory=dict)

    def empty(self, backend: str) -> str:
        """The URL of a new, empty database on ``backend``."""
        if backend == "sqlite":
            return f"sqlite:///{self.scratch / f'{uuid.uuid4().hex[:12]}.db'}"
        name = f"chrono_t_{HOST}_{self.run}_{uuid.uuid4().hex[:12]}"
        self._create(backend, name)
        return self._url(backend, name)

    def clone(self, backend: str, story: str, build: Callable[[str], R]) -> tuple[str, R]:
        """A copy of ``story`` on ``backend`` and (a deep copy of) the record ``build`` returned for it.

        ``build(url)`` writes the story into the empty database at ``url`` and returns its record; it runs once per
        (backend, story) and run, so ``story`` must name everything that makes ``build`` differ (options too).
        ``build`` must leave no connection open: PostgreSQL cannot copy a database that is in use.
        """
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}")
        key = hashlib.sha1(story.encode()).hexdigest()[:12]
        record, sequences = self._template(backend, story, key, build)
        if backend == "sqlite":
            target = self.scratch / f"{uuid.uuid4().hex[:12]}.db"
            shutil.copyfile(self.shared / f"{key}.sqlite", target)
            url = f"sqlite:///{target}"
        else:
            name = f"chrono_t_{HOST}_{self.run}_{uuid.uuid4().hex[:12]}"
            template = self._template_name(key)
            if backend == "postgresql":
                self._create(backend, name, template=template)
            else:
                self._create(backend, name)
                self._copy_mariadb(template, name, sequences)
            url = self._url(backend, name)
        return url, copy.deepcopy(record)

    def close(self) -> None:
        """Dispose of the admin engines (nothing is dropped: see ``sweep``)."""
        for engine in self._admins.values():
            engine.dispose()
        self._admins.clear()

    # ------------------------------------------------------------------ templates

    def _template(self, backend: str, story: str, key: str, build: Callable[[str], Any]) -> tuple[Any, dict[str, int]]:
        tag = f"{backend}-{key}"
        if tag not in self._records:
            done = self.shared / f"{tag}.pickle"
            asked = time.monotonic()
            with file_lock(self.shared / f"{tag}.lock"):
                started = time.monotonic()
                if done.exists():
                    self.waited += started - asked
                else:
                    result = self._build(backend, key, build)
                    took = time.monotonic() - started
                    self.built += took
                    self.builds[f"{story} on {backend}"] = took
                    partial = done.with_suffix(f".{os.getpid()}.tmp")
                    partial.write_bytes(pickle.dumps({"story": story, "result": result}))
                    partial.replace(done)
            saved = pickle.loads(done.read_bytes())
            if saved["story"] != story:
                raise CloneError(f"two stories share the key {key}: {story!r} and {saved['story']!r}")
            self._records[tag] = saved["result"]
        return self._records[tag]

    def _build(self, backend: str, key: str, build: Callable[[str], Any]) -> tuple[Any, dict[str, int]]:
        if backend == "sqlite":
            path = self.shared / f"{key}.sqlite"
            path.unlink(missing_ok=True)  # a failed attempt earlier in this run
            return build(f"sqlite:///{path}"), {}
        name = self._template_name(key)
        with self._admin(backend).connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {self._quote(backend, name)}")  # a failed attempt only
        self._create(backend, name)
        record = build(self._url(backend, name))
        return record, (self._settle_sequences(name) if backend == "mariadb" else {})

    def _template_name(self, key: str) -> str:
        return f"chrono_tpl_{HOST}_{self.run}_{key}"

    # ------------------------------------------------------------------ MariaDB copies

    def _settle_sequences(self, template: str) -> dict[str, int]:
        """The value each of the template's sequences hands out next (drawn once: the template is never used)."""
        out = {}
        with self._connect_to("mariadb", template) as conn:
            for (name,) in conn.execute(text(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = :db AND table_type = 'SEQUENCE'"), {"db": template}):
                out[name] = int(conn.exec_driver_sql(f"SELECT NEXTVAL({self._quote('mariadb', name)})").scalar_one())
        return out

    def _copy_mariadb(self, template: str, target: str, sequences: dict[str, int]) -> None:
        q = lambda name: self._quote("mariadb", name)  # noqa: E731
        with self._connect_to("mariadb", target) as conn:
            self._refuse_unsupported(conn, template)
            tables = conn.execute(text(
                "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = :db "
                "ORDER BY table_name"), {"db": template}).all()
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
            for name, kind in tables:
                what = "SEQUENCE" if kind == "SEQUENCE" else "TABLE"
                ddl = conn.exec_driver_sql(f"SHOW CREATE {what} {q(template)}.{q(name)}").one()[1]
                if template in ddl:  # e.g. a default drawing from the template's sequence
                    raise CloneError(f"cannot copy MariaDB template {template}: {name} refers to it by name")
                conn.exec_driver_sql(ddl)
                if kind == "SEQUENCE":
                    conn.exec_driver_sql(f"SELECT SETVAL({q(name)}, {int(sequences[name])}, 0)")
                elif kind == "SYSTEM VERSIONED":
                    self._copy_versioned(conn, template, name)
                else:
                    conn.exec_driver_sql(f"INSERT INTO {q(name)} SELECT * FROM {q(template)}.{q(name)}")
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 1")

    def _copy_versioned(self, conn: Connection, template: str, name: str) -> None:
        """A timestamp system-versioned table with its history: every row of ``FOR SYSTEM_TIME ALL``, period
        included, written with ``system_versioning_insert_history`` (MariaDB 10.11+, what ``mariadb-dump
        --dump-history`` does). The implicit period columns are addressed as row_start/row_end."""
        q = lambda ident: self._quote("mariadb", ident)  # noqa: E731
        columns = [r[0] for r in conn.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = :db AND table_name = :t "
            "ORDER BY ordinal_position"), {"db": template, "t": name})]
        explicit = conn.execute(text(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = :db AND table_name = :t "
            "AND generation_expression IN ('ROW START', 'ROW END')"), {"db": template, "t": name}).scalar_one()
        if not explicit:
            columns += ["row_start", "row_end"]
        listed = ", ".join(q(c) for c in columns)
        conn.exec_driver_sql("SET @@session.system_versioning_insert_history = 1")
        conn.exec_driver_sql(f"INSERT INTO {q(name)} ({listed}) SELECT {listed} "
                             f"FROM {q(template)}.{q(name)} FOR SYSTEM_TIME ALL")
        conn.exec_driver_sql("SET @@session.system_versioning_insert_history = 0")

    def _refuse_unsupported(self, conn: Connection, template: str) -> None:
        params = {"db": template}
        found = {
            "trigger": conn.execute(text(
                "SELECT count(*) FROM information_schema.triggers WHERE trigger_schema = :db"), params).scalar_one(),
            "routine": conn.execute(text(
                "SELECT count(*) FROM information_schema.routines WHERE routine_schema = :db"), params).scalar_one(),
            "view": conn.execute(text(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = :db "
                "AND table_type NOT IN ('BASE TABLE', 'SEQUENCE', 'SYSTEM VERSIONED')"), params).scalar_one(),
            # transaction ids cannot be written back (the server stamps its own): that history cannot move
            "transaction-precise system-versioned table": conn.execute(text(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = :db "
                "AND generation_expression = 'ROW START' AND data_type = 'bigint'"), params).scalar_one(),
        }
        kinds = [kind for kind, count in found.items() if count]
        if kinds:
            raise CloneError(f"cannot copy MariaDB template {template}: it has a {', a '.join(kinds)}")

    # ------------------------------------------------------------------ servers

    def _admin(self, backend: str) -> Engine:
        if backend not in self._admins:
            self._admins[backend] = create_engine(self.servers.url(backend), isolation_level="AUTOCOMMIT",
                                                  pool_size=1)
        return self._admins[backend]

    def _create(self, backend: str, name: str, template: str | None = None) -> None:
        sql = f"CREATE DATABASE {self._quote(backend, name)}"
        if template:
            sql += f" TEMPLATE {self._quote(backend, template)}"
        with self._admin(backend).connect() as conn:
            conn.exec_driver_sql(sql)
        self.created += 1

    def _url(self, backend: str, name: str) -> str:
        return make_url(self.servers.url(backend)).set(database=name).render_as_string(hide_password=False)

    @contextmanager
    def _connect_to(self, backend: str, name: str) -> Iterator[Connection]:
        engine = create_engine(self._url(backend, name), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with engine.connect() as conn:
                yield conn
        finally:
            engine.dispose()

    def _quote(self, backend: str, name: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9_]+", name):  # generated names and story table names only
            raise CloneError(f"unexpected identifier {name!r}")
        return f"`{name}`" if backend == "mariadb" else f'"{name}"'


def sweep(servers: Servers, reachable: Callable[[str], bool], only: Collection[str] | None = None,
          dropped: list[str] | None = None, stop: threading.Event | None = None) -> list[str]:
    """Drop this host's test databases and templates whose run has ended (of ``only``, if given).

    Returns the names dropped (appended to ``dropped`` as they go, if given); stops early once ``stop`` is set.
    """
    dropped = [] if dropped is None else dropped
    listing = {  # MariaDB first: its drops take milliseconds, PostgreSQL's force a checkpoint each
        "mariadb": "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE :pattern",
        "postgresql": "SELECT datname FROM pg_database WHERE datname LIKE :pattern",
    }
    for backend, query in listing.items():
        url = servers.url(backend)
        if not reachable(url):
            continue
        engine = create_engine(url, isolation_level="AUTOCOMMIT", pool_size=_PG_DROPS)
        try:
            with engine.connect() as conn:
                names = [name for (name,) in conn.execute(text(query), {"pattern": "chrono\\_t%"}).all()
                         if _ended(name) and (only is None or name in only)]

            def drop(name: str, backend: str = backend, engine: Engine = engine) -> None:
                if stop is not None and stop.is_set():
                    return
                quoted = f'"{name}"' if backend == "postgresql" else f"`{name}`"
                force = " WITH (FORCE)" if backend == "postgresql" else ""
                with engine.connect() as conn:
                    conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted}{force}")
                dropped.append(name)

            # A PostgreSQL drop waits for a checkpoint it requests; drops under way together share one. 40 drops
            # while other tests ran: one by one 39-46 s and 44,000-70,000 buffers written by checkpoints; four at
            # a time 6-16 s and 15,000-27,000 buffers (the sweep then stops competing with the run sooner)
            with ThreadPoolExecutor(_PG_DROPS if backend == "postgresql" else 1) as pool:
                list(pool.map(drop, names))
        finally:
            engine.dispose()
    return dropped


_PG_DROPS = 4  # PostgreSQL drops under way at once


def _ended(name: str) -> bool:
    """A test database or template of this host whose run (the pid in its name) has ended."""
    match = _NAME.match(name)
    return match is not None and not _alive(int(match.group(1)))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) across processes, e.g. pytest-xdist workers."""
    with open(path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
