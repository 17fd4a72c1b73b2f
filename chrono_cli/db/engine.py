"""Engines from user-given URLs, read-only connections, and driver errors turned into DatabaseError."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, CursorResult, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from chrono_cli.errors import DatabaseError, UsageError

_DRIVERS = {"postgresql": "postgresql+psycopg2", "postgres": "postgresql+psycopg2",
            "mysql": "mysql+pymysql", "mariadb": "mariadb+pymysql"}
CONNECT_TIMEOUT = 10


def resolve_url(raw: str) -> URL:
    """Turn what the user typed (a URL or a bare SQLite path) into a SQLAlchemy URL."""
    if "://" not in raw:
        path = Path(raw).expanduser()
        if not path.is_file():
            raise UsageError(f"no such database file: {raw}",
                             hint="pass a URL (postgresql://user@host/db) or the path of a SQLite file")
        return URL.create("sqlite", database=str(path.resolve()))
    try:
        url = make_url(_encode_userinfo(raw))
        port = url.port
    except (ArgumentError, ValueError) as exc:
        raise UsageError(f"cannot parse database URL: {_scrub(raw)}",
                         hint="write it as dialect://user:password@host:port/database (an IPv6 host in [brackets], "
                              "special characters in the password percent-encoded)") from exc
    if port is not None and not 0 < port < 65536:
        raise UsageError(f"port {port} is out of range (1 to 65535) in {safe_url(url)}")
    backend = url.drivername.split("+", 1)[0]
    if "+" not in url.drivername and backend in _DRIVERS:
        url = url.set(drivername=_DRIVERS[backend])
    if backend == "sqlite" and url.database not in (None, "", ":memory:"):
        if not Path(url.database).expanduser().is_file():
            raise UsageError(f"no such database file: {url.database}")
    return url


def safe_url(url: URL | str) -> str:
    """The URL with its password masked, for messages: in the user part and in the query string."""
    if isinstance(url, str):
        return _scrub(url)
    return _mask_query(url.render_as_string(hide_password=True))


_SECRET_PARAMS = frozenset({"password", "passwd", "pwd", "pass", "sslpassword", "sslkey_password", "token",
                            "access_token", "secret"})


def _secrets(url: URL) -> list[str]:
    """Every secret the URL carries, longest first (so a secret containing another is masked whole)."""
    found = [str(url.password)] if url.password else []
    for k, v in url.query.items():
        if k.lower() in _SECRET_PARAMS:
            found += [v] if isinstance(v, str) else list(v)
    return sorted((f for f in found if f), key=len, reverse=True)


def _encode_userinfo(raw: str) -> str:
    """Percent-encode the user and password when the password holds a bare '@' (the last '@' ends them)."""
    scheme, sep, rest = raw.partition("://")
    netloc, slash, tail = rest.partition("/")  # a password holding '/' must be percent-encoded anyway
    userinfo, at, host = netloc.rpartition("@")
    if not sep or not at or "@" not in userinfo:
        return raw
    user, colon, password = userinfo.partition(":")
    return f"{scheme}{sep}{quote(user, safe='')}{colon}{quote(password, safe='')}@{host}{slash}{tail}"


def make_engine(url: URL) -> Engine:
    """An engine with short connect timeouts; SQLite enforces foreign keys like a server would."""
    backend = url.get_backend_name()
    connect_args: dict[str, object] = {}
    if backend == "postgresql":
        connect_args["connect_timeout"] = CONNECT_TIMEOUT
    elif backend in ("mysql", "mariadb"):
        connect_args["connect_timeout"] = CONNECT_TIMEOUT
    try:
        engine = create_engine(url, connect_args=connect_args, pool_pre_ping=False)
    except (NoSuchModuleError, ArgumentError) as exc:
        raise UsageError(f"unsupported database URL: {safe_url(url)}",
                         hint="use postgresql://, mysql://, mariadb:// or sqlite:///path") from exc
    except ImportError as exc:
        raise DatabaseError(f"database driver not installed for {backend}: {exc.name}") from exc
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
    elif engine.dialect.driver == "psycopg2":
        from chrono_cli.db import interrupt

        interrupt.cancel_on_interrupt(engine)  # Ctrl-C cancels a query blocked on a lock instead of waiting
    return engine


def _sqlite_on_connect(dbapi_conn: object, _record: object) -> None:
    cursor = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


@contextmanager
def read_only(engine: Engine) -> Iterator[Connection]:
    """A connection inside a read-only transaction: the server itself refuses any write."""
    with database_errors(engine.url):
        conn = engine.connect()
    try:
        with database_errors(engine.url):
            backend = engine.dialect.name
            # each statement below autobegins the one transaction the whole command reads in
            if backend == "sqlite":
                conn.exec_driver_sql("PRAGMA query_only = ON")
            elif backend in ("mysql", "mariadb"):
                conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            else:
                conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        with database_errors(engine.url):
            yield conn
    finally:
        try:
            close_streams(conn)
            conn.rollback()
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA query_only = OFF")
        except SQLAlchemyError:
            pass
        conn.close()


_OPEN_RESULTS = "chrono.open_results"  # conn.info key: the streamed results a reader has not finished


@contextmanager
def tracked(conn: Connection, result: CursorResult[Any]) -> Iterator[None]:
    """Note ``result`` as open on ``conn`` while it is being streamed (see close_streams)."""
    open_results = conn.info.setdefault(_OPEN_RESULTS, set())
    open_results.add(result)
    try:
        yield
    finally:
        open_results.discard(result)


def close_streams(conn: Connection) -> None:
    """Close the cursors of streams a reader left unfinished (a closed pipe, an error) while the connection is still
    open. Closed later, when the abandoned generator is collected, a PostgreSQL server-side cursor is already gone
    with its transaction, and SQLAlchemy logs a traceback on stderr."""
    for result in list(conn.info.pop(_OPEN_RESULTS, ())):
        result.close()


@contextmanager
def database_errors(url: URL | None = None) -> Iterator[None]:
    """Translate driver errors into a one-line DatabaseError that never shows a password."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise DatabaseError(describe_error(exc, url)) from exc


def describe_error(exc: SQLAlchemyError, url: URL | None = None) -> str:
    """One line: what failed, in the driver's words, with secrets removed."""
    orig = getattr(exc, "orig", None)
    args: tuple[Any, ...] = tuple(getattr(orig, "args", ()))
    if len(args) >= 2 and isinstance(args[0], int) and isinstance(args[1], str):
        text = args[1]  # PyMySQL: (errno, message)
    else:
        text = str(orig) if orig is not None else str(exc)
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    first = lines[0] if lines else type(exc).__name__
    first = first.removeprefix("FATAL:").strip()
    for secret in _secrets(url) if url is not None else []:
        first = first.replace(secret, "***")
    lowered = text.lower()
    where = f" ({safe_url(url)})" if url is not None else ""
    if any(s in lowered for s in _CONNECT_FAILURES):
        return f"cannot connect{where}: {first}"
    if any(s in lowered for s in ("permission denied", "command denied", "access denied", "must be owner")):
        return f"missing privilege{where}: {first}"
    if "readonly" in lowered or "read-only" in lowered or "read only" in lowered:
        return f"the database refused a write{where}: {first}"
    return f"database error{where}: {first}"


_CONNECT_FAILURES = ("could not connect", "connection refused", "could not translate host", "can't connect",
                     "password authentication failed", "unable to open", "timeout expired", "unknown database",
                     "name or service", "access denied for user", "no password supplied",
                     "server closed the connection",
                     "connection to server")


def _scrub(raw: str) -> str:
    """Mask the password of a URL that may not parse: everything between the user's ':' and the last '@'."""
    scheme, sep, rest = raw.partition("://")
    main, q, query = rest.partition("?")
    userinfo, at, hostpath = main.rpartition("@")
    if at and ":" in userinfo:
        main = userinfo.partition(":")[0] + ":***@" + hostpath
    return _mask_query(f"{scheme}{sep}{main}{q}{query}")


def _mask_query(text: str) -> str:
    """Mask the values of password-like query parameters (``?password=...``)."""
    return re.sub(r"(?i)([?&](?:" + "|".join(sorted(_SECRET_PARAMS)) + r")=)[^&]*", r"\1***", text)
