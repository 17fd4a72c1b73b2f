"""Shared fixtures: a CLI runner, throwaway databases on real servers (SQLite, PostgreSQL, MariaDB), story copies.

PostgreSQL: $CHRONO_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/postgres).
MariaDB/MySQL: $CHRONO_TEST_MYSQL_URL (default mysql+pymysql://root@127.0.0.1:3306/test?ssl_disabled=true: the
local server has TLS off, and without the option PyMySQL builds an unused SSL context, ~20 ms of CPU, on every
connection: 36 MariaDB tests took 12 s of CPU without it, 6 s with it).
Each test gets fresh databases; a library story is built once per run and copied per test (``story_clone``, see
tests/support/clone.py). Databases are not dropped after each test: the next run drops the leftovers of ended runs
when it starts. A server that cannot be reached skips its tests with the reason; under CI=true every skip, of any
test and for any reason, is a failure.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.rich_utils
import typer.testing
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
# The suite starts hundreds of Python processes (chrono, library stories and readers) that import chrono_cli and
# tests from this tree; with PYTHONDONTWRITEBYTECODE set (as on the CI machine) each compiled them again and every
# worker rewrote every test module's asserts again: the run took 472 s with it set, 388 s without (one run each).
# The caches go to __pycache__ (ignored by git).
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.path.insert(0, str(ROOT))  # tests.support.* importable from any working directory

from tests.support.clone import Databases, Servers, sweep  # noqa: E402

PG_URL = os.environ.get("CHRONO_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
MYSQL_URL = os.environ.get("CHRONO_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test?ssl_disabled=true")
SERVERS = Servers(postgresql=PG_URL, mariadb=MYSQL_URL)
SERVER_NAMES = {"postgresql": "PostgreSQL", "mariadb": "MariaDB"}
_reachable: dict[str, str | None] = {}
StoryClone = Callable[[str, str, Callable[[str], Any]], tuple[str, Any]]


def _ci() -> bool:
    return os.environ.get("CI") == "true"


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
    """Skip (fail under CI=true) when the server at ``url`` cannot be reached."""
    problem = _server_problem(url)
    if problem:
        message = f"{name} not reachable at {make_url(url).render_as_string(hide_password=True)}: {problem}"
        if _ci():
            pytest.fail(f"CI=true and {message}")
        pytest.skip(message)


def _require_backend(backend: str) -> None:
    if backend != "sqlite":
        require_server(SERVERS.url(backend), SERVER_NAMES[backend])


# --------------------------------------------------------------------------- run-level hooks


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """(xdist controller) Tell every worker which run it belongs to: the controller's pid names the databases."""
    node.workerinput["chrono_run"] = os.getpid()


class _Sweeper(threading.Thread):
    """Drops the test databases of ended runs while this run's tests go on (the drops wait on the disk, not CPU)."""

    def __init__(self) -> None:
        super().__init__(name="chrono-sweep", daemon=True)
        self.dropped: list[str] = []
        self.problem: str | None = None
        self.seconds = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        try:
            sweep(SERVERS, lambda url: _server_problem(url) is None, dropped=self.dropped, stop=self.stop)
        except Exception as exc:  # noqa: BLE001 - housekeeping never fails the run; the next run tries again
            self.problem = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        self.seconds = time.monotonic() - started


def pytest_sessionstart(session: pytest.Session) -> None:
    """Start dropping the databases of ended runs: once per run, by the controller, never by a worker."""
    if hasattr(session.config, "workerinput"):
        return
    sweeper = _Sweeper()
    session.config.stash[_sweeper] = sweeper
    sweeper.start()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop the sweep after the drop under way: the tests are done, and the next run drops what is left."""
    sweeper = session.config.stash.get(_sweeper, None)
    if sweeper is not None:
        sweeper.stop.set()
        sweeper.join()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """One line on database housekeeping: leftovers of ended runs dropped, databases this run created, time spent
    building stories and waiting for another worker's build; then the five slowest story builds."""
    counts = [config.stash.get(_counts, {}), *config.stash.get(_worker_counts, {}).values()]
    created, built, waited = (sum(c.get(name, 0) for c in counts) for name in ("created", "built", "waited"))
    sweeper = config.stash.get(_sweeper, None)
    if sweeper is None:
        return
    swept = f"{len(sweeper.dropped)} of ended runs dropped in {sweeper.seconds:.1f} s"
    if sweeper.problem:
        swept += f" (then the sweep failed: {sweeper.problem})"
    terminalreporter.write_line(f"test databases: {swept}, {created} created by this run; stories built in "
                                f"{built:.1f} s, {waited:.1f} s waited for another worker's build")
    builds = dict(config.stash.get(_builds, {}))
    for worker_builds in config.stash.get(_worker_builds, {}).values():
        builds.update(worker_builds)
    slowest = sorted(builds.items(), key=lambda item: -item[1])[:5]
    if slowest:
        terminalreporter.write_line("slowest story builds: " + ", ".join(f"{tag} {s:.1f} s" for tag, s in slowest))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """(xdist controller) Collect each worker's database counts."""
    output = getattr(node, "workeroutput", {})
    node.config.stash.setdefault(_worker_counts, {})[node.gateway.id] = output.get("chrono_counts", {})
    node.config.stash.setdefault(_worker_builds, {})[node.gateway.id] = output.get("chrono_builds", {})


_sweeper = pytest.StashKey[_Sweeper]()
_counts = pytest.StashKey[dict[str, float]]()
_worker_counts = pytest.StashKey[dict[Any, dict[str, float]]]()
_builds = pytest.StashKey[dict[str, float]]()
_worker_builds = pytest.StashKey[dict[Any, dict[str, float]]]()


# Single tests that take 10-20 s: run first, so that no worker is left with one of them at the end.
_LONG_SINGLE_TESTS = ("tests/test_walkthrough.py", "tests/test_packaging.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the long single tests first (a stable sort: the order is otherwise unchanged)."""
    items.sort(key=lambda item: not item.nodeid.startswith(_LONG_SINGLE_TESTS))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """Under CI=true a skipped test is a failed one (xfail stays xfail)."""
    report = yield
    if _ci() and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"CI=true forbids skipping: {_skip_reason(report.longrepr)}"
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, Any]:
    """Under CI=true a module skipped at collection (pytest.skip, importorskip) fails instead."""
    report = yield
    if _ci() and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"CI=true forbids skipping {collector.nodeid}: {_skip_reason(report.longrepr)}"
    return report


def _skip_reason(longrepr: Any) -> str:
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True, scope="session")
def _pin_terminal() -> None:
    typer.rich_utils.MAX_WIDTH = 100
    typer.rich_utils.FORCE_TERMINAL = False
    os.environ.pop("CHRONO_DATABASE_URL", None)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("CHRONO_FORMAT", None)


_COMMANDS: dict[tuple[int, str | None], tuple[Any, Any]] = {}
_build_command = getattr(typer.testing, "_get_command")  # noqa: B009 - private, not re-exported


def _cached_command(app: Any) -> Any:
    """The click command of a Typer app, built once per app (and completion setting), not on every invoke."""
    key = (id(app), os.environ.get("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION"))  # the one input besides app
    if key not in _COMMANDS:
        _COMMANDS[key] = (app, _build_command(app))  # the app is kept: its id stays its own
    return _COMMANDS[key][1]


@pytest.fixture(autouse=True, scope="session")
def _build_commands_once() -> Iterator[None]:
    """CliRunner.invoke builds chrono's click command from the Typer app on every call (~50 ms, thousands of
    invokes per run); the command is a pure function of the app, so each process builds it once."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.testing, "_get_command", _cached_command)
        yield


@pytest.fixture(autouse=True)
def _own_state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test its own $XDG_STATE_HOME: chrono's remembered advice and completion cache never leak between
    tests (or come from the user running them)."""
    state = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def databases(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Databases]:
    """This process's source of fresh databases and story copies."""
    config = request.config
    worker = getattr(config, "workerinput", None)
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if worker else base) / "stories"  # the xdist workers' basetemps share a parent
    shared.mkdir(exist_ok=True)
    run = int(worker["chrono_run"]) if worker and "chrono_run" in worker else os.getpid()
    dbs = Databases(run=run, shared=shared, scratch=tmp_path_factory.mktemp("db"), servers=SERVERS)
    yield dbs
    dbs.close()
    counts = {"created": dbs.created, "built": dbs.built, "waited": dbs.waited}
    if worker is not None:
        config.workeroutput["chrono_counts"] = counts  # type: ignore[attr-defined]
        config.workeroutput["chrono_builds"] = dbs.builds  # type: ignore[attr-defined]
    else:
        config.stash[_counts] = counts
        config.stash[_builds] = dbs.builds


@pytest.fixture(scope="session")
def story_clone(databases: Databases) -> StoryClone:
    """``story_clone(backend, story, build) -> (url, record)``: a private copy of a story built once per run.

    ``backend`` is 'sqlite', 'postgresql' or 'mariadb'; ``build(url)`` writes the story into an empty database and
    returns its record; ``story`` names the story and every option that changes what ``build`` writes.
    """

    def clone(backend: str, story: str, build: Callable[[str], Any]) -> tuple[str, Any]:
        _require_backend(backend)
        return databases.clone(backend, story, build)

    return clone


def _empty(databases: Databases, backend: str) -> str:
    _require_backend(backend)
    return databases.empty(backend)


@pytest.fixture
def pg_url(databases: Databases) -> str:
    """A fresh, empty PostgreSQL database."""
    return _empty(databases, "postgresql")


@pytest.fixture
def mysql_url(databases: Databases) -> str:
    """A fresh, empty MariaDB/MySQL database."""
    return _empty(databases, "mariadb")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite file."""
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def backend(request: pytest.FixtureRequest) -> str:
    """The same test on every backend (for ``story_clone``)."""
    _require_backend(request.param)
    return str(request.param)


@pytest.fixture(params=["sqlite", "postgresql"])
def sqlite_or_pg_backend(request: pytest.FixtureRequest) -> str:
    """SQLite and PostgreSQL (libraries that do not run on MariaDB), for ``story_clone``."""
    _require_backend(request.param)
    return str(request.param)


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, databases: Databases) -> str:
    """The same test on every backend: a fresh, empty database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return _empty(databases, request.param)


@pytest.fixture(params=["sqlite", "postgresql"])
def sqlite_or_pg_url(request: pytest.FixtureRequest, tmp_path: Path, databases: Databases) -> str:
    """SQLite and PostgreSQL (libraries that do not run on MariaDB): a fresh, empty database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return _empty(databases, request.param)


def invoke(runner: CliRunner, args: list[str], **kw: object):  # type: ignore[no-untyped-def]
    """Run chrono in-process with the program name users see."""
    from chrono_cli.cli.app import app

    return runner.invoke(app, args, prog_name="chrono", **kw)  # type: ignore[arg-type]
