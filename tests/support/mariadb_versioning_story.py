"""The MariaDB system-versioning story: DDL and DML on the server itself, which writes the history.

MariaDB is the implementation (conventions.md 6C): every table is versioned by the server, there is no library.
Three timestamp-precise tables, so the story can be cloned with its history (tests/support/clone.py):

* ``appuser``: implicit invisible ROW_START/ROW_END, NULLs, unicode, DECIMAL, JSON, DATETIME(6), and ``visits``
  WITHOUT SYSTEM VERSIONING (an UPDATE of it alone writes no version); a no-op UPDATE, two updates of one row in
  one transaction (two versions: statement-precise), a delete and a re-create of key 2;
* ``memo``: explicit ``row_start``/``row_end`` TIMESTAMP(6) GENERATED ALWAYS AS ROW START/END with PERIOD FOR
  SYSTEM_TIME (the server appends row_end to the primary key and to the UNIQUE key on ``code``);
* ``ledger``: implicit period, history PARTITION BY SYSTEM_TIME; its last row is deleted for good.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine

DDL = (
    "CREATE TABLE appuser (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, email VARCHAR(80) NULL, "
    "balance DECIMAL(12,2) NULL, attrs JSON NULL, seen_at DATETIME(6) NULL, "
    "visits INT NOT NULL DEFAULT 0 WITHOUT SYSTEM VERSIONING) WITH SYSTEM VERSIONING",
    "CREATE TABLE memo (id INT NOT NULL, code VARCHAR(8) NOT NULL, body TEXT NOT NULL, "
    "row_start TIMESTAMP(6) GENERATED ALWAYS AS ROW START, row_end TIMESTAMP(6) GENERATED ALWAYS AS ROW END, "
    "PRIMARY KEY (id), UNIQUE KEY uq_memo_code (code), PERIOD FOR SYSTEM_TIME (row_start, row_end)) "
    "WITH SYSTEM VERSIONING",
    "CREATE TABLE ledger (id INT PRIMARY KEY, amount DECIMAL(12,2) NOT NULL, note VARCHAR(40) NULL) "
    "WITH SYSTEM VERSIONING PARTITION BY SYSTEM_TIME (PARTITION p_hist HISTORY, PARTITION p_cur CURRENT)",
)

STEPS: tuple[tuple[str, ...], ...] = (  # one tuple = one transaction
    ("INSERT INTO appuser (id, name, email, balance, attrs, seen_at) VALUES "
     "(1, 'Ada', 'ada@example.org', 10.50, '{\"tags\": [\"a\"], \"n\": 1}', '2026-11-20 09:00:00.123456')",
     "INSERT INTO appuser (id, name, email, balance, attrs, seen_at) VALUES (2, 'Bob', NULL, NULL, NULL, NULL)"),
    ("UPDATE appuser SET name = 'Zoë ☃', balance = 0.01 WHERE id = 1",),
    ("UPDATE appuser SET name = name WHERE id = 1",),  # a no-op: the server still writes a version
    ("UPDATE appuser SET visits = visits + 7 WHERE id = 1",),  # WITHOUT SYSTEM VERSIONING only: no version
    ("UPDATE appuser SET email = NULL, attrs = '{\"tags\": [], \"n\": 2}' WHERE id = 1",
     "UPDATE appuser SET balance = -3.25, seen_at = '2026-11-21 23:59:59.000001' WHERE id = 1"),  # one transaction
    ("UPDATE appuser SET email = 'bob@example.org' WHERE id = 2",),
    ("DELETE FROM appuser WHERE id = 2",),
    ("INSERT INTO appuser (id, name, email) VALUES (2, 'Bob again', NULL)",),
    ("INSERT INTO memo (id, code, body) VALUES (1, 'M-1', 'first'), (2, 'M-2', 'second')",),
    ("UPDATE memo SET body = 'first, edited' WHERE id = 1",),
    ("UPDATE memo SET code = 'M-2b' WHERE id = 2",),
    ("INSERT INTO ledger (id, amount, note) VALUES (1, 100.00, 'opening'), (2, 5.00, NULL)",),
    ("UPDATE ledger SET amount = 99.99 WHERE id = 1",),
    ("DELETE FROM ledger WHERE id = 2",),
)


def mariadb_versioning_story(url: str) -> dict[str, Any]:
    """Create the tables and run the story's transactions; the record is the statements run."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in DDL:
                conn.exec_driver_sql(statement)
        for transaction in STEPS:
            with engine.begin() as conn:
                for statement in transaction:
                    conn.exec_driver_sql(statement)
    finally:
        engine.dispose()
    return {"steps": [list(t) for t in STEPS]}
