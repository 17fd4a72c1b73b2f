"""``story_clone``: build each library story once per session and backend, then hand each test its own copy.

PostgreSQL clones with ``CREATE DATABASE x TEMPLATE y`` (nothing stays connected to the template), SQLite
with a file copy. MariaDB has no templates: the clone is created table by table from the template's own
``SHOW CREATE SEQUENCE`` / ``SHOW CREATE TABLE`` (foreign keys, defaults and AUTO_INCREMENT counters
included) and filled with ``INSERT ... SELECT``, which is faster than running a story again.
Nothing is dropped per test or at the end (a DROP DATABASE costs about a second on PostgreSQL): database
names carry their creation time (``chrono_s_<epoch minutes>_<hex>``) and each session first drops what
earlier runs left more than an hour ago, never a database a concurrent run may still use.
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer.testing
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from tests.conftest import MYSQL_URL, PG_URL, require_server

Build = Callable[[str, Path], Any]
StoryClone = Callable[[str, str, Build], tuple[str, Any]]
SERVERS = {"postgresql": (PG_URL, "PostgreSQL"), "mariadb": (MYSQL_URL, "MariaDB")}
_NAME = re.compile(r"chrono_s_(\d+)_[0-9a-f]+")
_STALE_MINUTES = 60


def pytest_configure(config: pytest.Config) -> None:
    """Name pytest-xdist's group marker, so runs without xdist know it too."""
    config.addinivalue_line("markers", "xdist_group(name): run the tests of one group on one xdist worker")


def _ident(name: str) -> str:
    """A quoted identifier; names here are generated (chrono_s_<hex>) or read from the server's catalog."""
    return "`" + name.replace("`", "``") + "`"


class _Clones:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.templates: dict[tuple[str, str], tuple[str, Any]] = {}
        self.swept: set[str] = set()

    def _new_database(self, backend: str, template: str | None = None) -> str:
        server, _ = SERVERS[backend]
        name = f"chrono_s_{int(time.time() // 60)}_{uuid.uuid4().hex[:10]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if backend not in self.swept:
                self.swept.add(backend)
                _sweep(conn, backend)
            suffix = f" TEMPLATE {template}" if template else ""
            conn.exec_driver_sql(f"CREATE DATABASE {name}{suffix}")  # generated names, never user input
        admin.dispose()
        return name

    def _url(self, backend: str, database: str) -> str:
        url = make_url(SERVERS[backend][0]).set(database=database)
        return url.render_as_string(hide_password=False)

    def clone(self, backend: str, name: str, build: Build) -> tuple[str, Any]:
        if backend in SERVERS:
            require_server(*SERVERS[backend])
        key = (backend, name)
        if key not in self.templates:
            if backend == "sqlite":
                where = self.root / f"{name}.template.db"
                url = f"sqlite:///{where}"
            else:
                where_db = self._new_database(backend)
                url = self._url(backend, where_db)
            workdir = self.root / f"{backend}-{name}"
            workdir.mkdir(exist_ok=True)
            self.templates[key] = (url, build(url, workdir))
        url, record = self.templates[key]
        source = make_url(url).database
        assert source is not None
        if backend == "sqlite":
            target = self.root / f"{name}-{uuid.uuid4().hex[:8]}.db"
            shutil.copyfile(source, target)
            return f"sqlite:///{target}", record
        if backend == "postgresql":
            return self._url(backend, self._new_database(backend, template=source)), record
        return self._mariadb_copy(source), record

    def _mariadb_copy(self, source: str) -> str:
        target = self._new_database("mariadb")
        engine = create_engine(SERVERS["mariadb"][0], isolation_level="AUTOCOMMIT")
        src, dst = _ident(source), _ident(target)
        with engine.connect() as conn:
            conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
            objects = conn.execute(text("SELECT table_name, table_type FROM information_schema.tables "
                                        "WHERE table_schema = :s ORDER BY table_name"), {"s": source}).all()
            conn.exec_driver_sql(f"USE {dst}")
            for table, kind in objects:  # sequences first: table defaults may draw from them
                if kind == "SEQUENCE":
                    ddl = conn.exec_driver_sql(f"SHOW CREATE SEQUENCE {src}.{_ident(table)}").one()[1]
                    conn.exec_driver_sql(ddl)
                    nxt = conn.exec_driver_sql(f"SELECT next_not_cached_value FROM {src}.{_ident(table)}").scalar_one()
                    conn.exec_driver_sql(f"SELECT SETVAL({_ident(table)}, {int(nxt) - 1})")
            for table, kind in objects:
                if kind == "BASE TABLE":
                    ddl = conn.exec_driver_sql(f"SHOW CREATE TABLE {src}.{_ident(table)}").one()[1]
                    conn.exec_driver_sql(ddl)
                    conn.exec_driver_sql(f"INSERT INTO {_ident(table)} SELECT * FROM {src}.{_ident(table)}")
        engine.dispose()
        return self._url("mariadb", target)


def _sweep(conn: Any, backend: str) -> None:
    """Drop the clones and templates earlier runs left (older than an hour: no run lasts that long)."""
    if backend == "postgresql":
        query = text("SELECT datname FROM pg_database WHERE datname LIKE :p")
    else:
        query = text("SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE :p")
    names = conn.execute(query, {"p": "chrono\\_s\\_%"}).scalars()
    now = int(time.time() // 60)
    for name in list(names):
        match = _NAME.fullmatch(name)
        if match and now - int(match.group(1)) > _STALE_MINUTES:
            force = " WITH (FORCE)" if backend == "postgresql" else ""
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}{force}")  # matched our generated pattern


@pytest.fixture(scope="session")
def story_clone(tmp_path_factory: pytest.TempPathFactory) -> StoryClone:
    """``story_clone(backend, name, build) -> (url, record)``: a private copy of story ``name`` on ``backend``.

    ``build(url, workdir)`` writes the story into an empty database and returns its record; it runs once
    per session, backend and name.
    """
    return _Clones(tmp_path_factory.mktemp("stories")).clone


_COMMANDS: dict[int, Any] = {}
_build_command = getattr(typer.testing, "_get_command")  # noqa: B009 - private, not re-exported


def _cached_command(app: Any) -> Any:
    if id(app) not in _COMMANDS:
        _COMMANDS[id(app)] = (app, _build_command(app))  # the app is kept: its id stays its own
    return _COMMANDS[id(app)][1]


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CliRunner that builds chrono's click command once, not on every invoke (~50 ms each, ~300 invokes)."""
    monkeypatch.setattr(typer.testing, "_get_command", _cached_command)
    return CliRunner()
