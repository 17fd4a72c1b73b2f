"""The one transaction every write command runs in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from chrono_cli.db.engine import database_errors


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction committed when the block ends normally and rolled back on any error or interrupt.

    SQLite takes its write lock at the start (BEGIN IMMEDIATE), so a concurrent writer waits (up to the
    driver's busy timeout) or fails instead of interleaving; elsewhere rows are locked with SELECT ... FOR
    UPDATE by the caller.
    """
    with database_errors(engine.url):
        conn = engine.connect()
    try:
        with database_errors(engine.url):
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            yield conn
            conn.commit()
    except BaseException:
        try:
            conn.rollback()
        except SQLAlchemyError:
            pass  # the connection is gone: the server rolls back on its own
        raise
    finally:
        conn.close()
