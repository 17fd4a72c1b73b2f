"""Ctrl-C during a PostgreSQL query: cancel it on the server, then let KeyboardInterrupt through.

psycopg2 normally waits inside libpq, where Python never sees the signal, so a query blocked on a lock
ignores Ctrl-C until the lock is released. A wait callback keeps the waiting in Python (as psycopg2's own
``extras.wait_select`` does), cancels the query when interrupted, and re-raises the interrupt.
"""

from __future__ import annotations

import select
from typing import Any

from sqlalchemy import Engine, event


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

    interrupted = False
    while True:
        try:
            state = conn.poll()
            if state == extensions.POLL_OK:
                break
            if state == extensions.POLL_READ:
                select.select([conn.fileno()], [], [])
            elif state == extensions.POLL_WRITE:
                select.select([], [conn.fileno()], [])
            else:
                raise conn.OperationalError(f"bad state from poll: {state}")
        except KeyboardInterrupt:
            if interrupted:
                raise
            interrupted = True
            try:
                conn.cancel()  # the server ends the query; poll() then raises QueryCanceledError
            except Exception:  # noqa: BLE001 - nothing to cancel
                raise KeyboardInterrupt from None
        except extensions.QueryCanceledError:
            if interrupted:
                raise KeyboardInterrupt from None
            raise
    if interrupted:
        raise KeyboardInterrupt
