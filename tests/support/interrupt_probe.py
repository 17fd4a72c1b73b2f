"""Run by tests/integration/test_interrupt.py: one query through chrono's Ctrl-C wait, on a real psycopg2
connection whose cancel request is made to fail or to be lost (a fault injected into the client, so the server
never ends the query by itself).

Usage: python interrupt_probe.py URL MODE GRACE, MODE one of ``cancel`` (psycopg2's own), ``cancel-fails``
(raises, as when the cancel connection cannot be opened), ``cancel-lost`` (returns without sending anything).
Prints ``waiting`` before the query and ``interrupted`` when KeyboardInterrupt reaches it (exit 130).
"""

from __future__ import annotations

import sys

import psycopg2
from psycopg2 import extensions
from sqlalchemy import create_engine, text

from chrono_cli.db import interrupt


class CancelFails(extensions.connection):
    def cancel(self) -> None:
        raise psycopg2.OperationalError("could not send the cancel request (injected by the test)")


class CancelLost(extensions.connection):
    def cancel(self) -> None:
        pass  # as if the request never reached the server


def main() -> int:
    url, mode, grace = sys.argv[1], sys.argv[2], float(sys.argv[3])
    factory = {"cancel": extensions.connection, "cancel-fails": CancelFails, "cancel-lost": CancelLost}[mode]
    interrupt.CANCEL_GRACE = grace
    engine = create_engine(url, connect_args={"connection_factory": factory})
    interrupt.cancel_on_interrupt(engine)
    try:
        with engine.connect() as connection:
            print("waiting", flush=True)
            connection.execute(text("SELECT count(*) FROM held"))
    except KeyboardInterrupt:
        print("interrupted", flush=True)
        return 130
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
