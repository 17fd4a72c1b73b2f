"""Ctrl-C during a PostgreSQL query: cancel it on the server, then let KeyboardInterrupt through.

psycopg2 normally waits inside libpq, where Python never sees the signal, so a query blocked on a lock
ignores Ctrl-C until the lock is released. A wait callback keeps the waiting in Python (as psycopg2's own
``extras.wait_select`` does), cancels the query when interrupted, and re-raises the interrupt.

The server gets ``CANCEL_GRACE`` seconds to end a cancelled query. When the cancel request cannot be sent, or
the server does not answer it in time, or a second Ctrl-C comes, the interrupt goes through at once: psycopg2
closes a connection whose wait callback raised (closing it from inside the callback would deadlock on the
connection's own lock) and SQLAlchemy discards it, so nothing waits on that query again (a server that never got
the cancel ends its side when it next writes to the closed socket).
"""

from __future__ import annotations

import select
import time
from typing import Any

from sqlalchemy import Engine, event

CANCEL_GRACE = 5.0


def cancel_on_interrupt(engine: Engine) -> None:
    """Wait for ``engine``'s psycopg2 queries in Python; connections are still opened by libpq itself."""
    event.listen(engine, "do_connect", _blocking)  # connection failures keep libpq's own messages
    event.listen(engine, "connect", _interruptible)


def _blocking(*_args: object) -> None:
    from psycopg2 import extensions

    extensions.set_wait_callback(None)


def _interruptible(*_args: object) -> None:
    from psycopg2 import extensions

    extensions.set_wait_callback(_wait)  # process-wide: psycopg2 checks it on every query


def _wait(conn: Any) -> None:
    from psycopg2 import extensions

    deadline: float | None = None  # set by the first Ctrl-C: when the server must have ended the query
    while True:
        try:
            state = conn.poll()
            if state == extensions.POLL_OK:
                break
            if deadline is not None and time.monotonic() >= deadline:
                break  # the cancel went unanswered
            timeout = None if deadline is None else deadline - time.monotonic()
            if state == extensions.POLL_READ:
                select.select([conn.fileno()], [], [], timeout)
            elif state == extensions.POLL_WRITE:
                select.select([], [conn.fileno()], [], timeout)
            else:
                raise conn.OperationalError(f"bad state from poll: {state}")
        except KeyboardInterrupt:
            if deadline is not None:  # a second Ctrl-C: stop waiting for the server
                break
            deadline = time.monotonic() + CANCEL_GRACE
            try:
                conn.cancel()  # the server ends the query; poll() then raises QueryCanceledError
            except Exception:  # noqa: BLE001 - no cancel request could be sent
                break
        except extensions.QueryCanceledError:
            if deadline is not None:
                raise KeyboardInterrupt from None
            raise
    if deadline is not None:
        raise KeyboardInterrupt
