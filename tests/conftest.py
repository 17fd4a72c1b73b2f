"""Shared fixtures: a CLI runner and throwaway databases on real servers (SQLite, PostgreSQL, MariaDB).

PostgreSQL: $CHRONO_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres).
MariaDB/MySQL: $CHRONO_TEST_MYSQL_URL (default mysql+pymysql://root@127.0.0.1:3306/test).
Each test gets a fresh database, dropped afterwards. A server that cannot be reached skips its tests with
the reason, except under CI=true, where a skipped database test is a failure.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.rich_utils
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.support.* importable from any working directory

PG_URL = os.environ.get("CHRONO_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
MYSQL_URL = os.environ.get("CHRONO_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
_reachable: dict[str, str | None] = {}


def _server_problem(url: str) -> str | None:
    if url not in _reachable:
        try:
            with create_engine(url, connect_args={"connect_timeout": 5}).connect() as conn:
                conn.execute(text("SELECT 1"))
            _reachable[url] = None
        except Exception as exc:  # noqa: BLE001 - any failure means "not available"
            _reachable[url] = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return _reachable[url]


def require_server(url: str, name: str) -> None:
    problem = _server_problem(url)
    if problem:
        message = f"{name} not reachable at {make_url(url).render_as_string(hide_password=True)}: {problem}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {message}")
        pytest.skip(message)


@pytest.fixture(autouse=True, scope="session")
def _pin_terminal() -> None:
    typer.rich_utils.MAX_WIDTH = 100
    typer.rich_utils.FORCE_TERMINAL = False
    os.environ.pop("CHRONO_DATABASE_URL", None)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("CHRONO_FORMAT", None)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _throwaway(server_url: str, name: str) -> Iterator[str]:
    require_server(server_url, name)
    db = f"chrono_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {db}")  # a generated identifier, not user input
    try:
        yield make_url(server_url).set(database=db).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            if admin.dialect.name == "postgresql":
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
            else:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {db}")
        admin.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database."""
    yield from _throwaway(PG_URL, "PostgreSQL")


@pytest.fixture
def mysql_url() -> Iterator[str]:
    """A fresh, empty MariaDB/MySQL database."""
    yield from _throwaway(MYSQL_URL, "MariaDB")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file."""
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test on every backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
    elif request.param == "postgresql":
        yield from _throwaway(PG_URL, "PostgreSQL")
    else:
        yield from _throwaway(MYSQL_URL, "MariaDB")


@pytest.fixture(params=["sqlite", "postgresql"])
def sqlite_or_pg_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """SQLite and PostgreSQL (libraries that do not run on MariaDB)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
    else:
        yield from _throwaway(PG_URL, "PostgreSQL")


def invoke(runner: CliRunner, args: list[str], **kw: object):  # type: ignore[no-untyped-def]
    """Run chrono in-process with the program name users see."""
    from chrono_cli.cli.app import app

    return runner.invoke(app, args, prog_name="chrono", **kw)  # type: ignore[arg-type]
