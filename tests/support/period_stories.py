"""Stories for the PostgreSQL period conventions: the ``periods`` extension (the real one, Debian's
postgresql-15-periods) and temporal_tables' ``versioning()`` trigger.

temporal_tables cannot be installed from the registries here (the C extension is not packaged for this
PostgreSQL, nearform's function is a script in a git repository): ``VERSIONING_FUNCTION`` below is the test
suite's own plpgsql trigger function, written to follow nearform/temporal_tables ``versioning_function.sql``
v1.2.1 as conventions.md 6B documents it (arguments, transaction time or ``user_defined.system_time``, one
history row per row per transaction, common columns only, the 1 µs conflict mitigation). Every change of the
stories is an ordinary statement in its own transaction; the extension or the trigger writes the history.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import create_engine, text

COLUMNS = ("id integer PRIMARY KEY, title text NOT NULL, amount numeric(12, 2), meta jsonb, "
           "signed_at timestamptz, note text, visits integer NOT NULL DEFAULT 0")

# The changes both stories make, one transaction per entry (a tuple: several statements in one transaction).
STEPS: tuple[Sequence[str], ...] = (
    ("INSERT INTO contract (id, title, amount, meta, signed_at, note) VALUES "
     "(1, 'Vertrag Ä ☃ — 契約', 10.50, '{\"a\": [1, 2], \"ü\": true}', '2026-01-01 10:00:00+02', NULL), "
     "(2, 'second', NULL, NULL, NULL, 'n')",
     "INSERT INTO memo (code, body) VALUES ('m1', 'first memo')"),
    ("UPDATE contract SET amount = 12.25, note = 'first change' WHERE id = 1",),
    # two updates of one row in one transaction: one archived state (transaction stamping)
    ("UPDATE contract SET title = 'Vertrag 2 — ü' WHERE id = 1",
     "UPDATE contract SET meta = '{\"a\": null, \"b\": \"x\"}', amount = 99999999.99 WHERE id = 1"),
    ("UPDATE contract SET visits = visits + 1 WHERE id = 1",),  # only the excluded / unarchived column
    ("DELETE FROM contract WHERE id = 2", "UPDATE memo SET body = 'second memo' WHERE code = 'm1'"),
    ("INSERT INTO contract (id, title, amount, meta, signed_at) VALUES "
     "(2, 'second again', 3.00, '[]', '2026-02-03 04:05:06-07:30')",),
    ("UPDATE contract SET signed_at = NULL, amount = -0.01, note = NULL WHERE id = 2",),
    ("INSERT INTO contract (id, title) VALUES (3, 'three')",),
    ("DELETE FROM contract WHERE id = 3",),  # gone at the end: its last state is in history only
)


def _run(url: str, setup: Sequence[str]) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in setup:
                conn.exec_driver_sql(statement.replace("%", "%%"), ())  # the function text has % signs
        for step in STEPS:
            time.sleep(0.003)  # inferred change-set ids name a millisecond: one transaction per id, whatever the speed
            with engine.begin() as conn:
                for statement in step:
                    conn.execute(text(statement))
    finally:
        engine.dispose()
    return {"tables": ["contract", "memo"]}


def periods_story(url: str) -> dict[str, Any]:
    """Two system-versioned tables: ``contract`` (default period columns, ``visits`` excluded) and ``memo``
    (own period column names)."""
    return _run(url, (
        "CREATE EXTENSION periods CASCADE",
        f"CREATE TABLE contract ({COLUMNS})",
        "SELECT periods.add_system_time_period('contract', excluded_column_names => ARRAY['visits'])",
        "SELECT periods.add_system_versioning('contract')",
        "CREATE TABLE memo (code varchar(10) PRIMARY KEY, body text)",
        "SELECT periods.add_system_time_period('memo', 'row_start', 'row_end')",
        "SELECT periods.add_system_versioning('memo')",
    ))


VERSIONING_FUNCTION = r"""
CREATE FUNCTION versioning() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  sys_period text := TG_ARGV[0];
  history_table text := TG_ARGV[1];
  mitigate boolean := coalesce(TG_ARGV[2], 'false')::boolean;
  ignore_unchanged boolean := coalesce(TG_ARGV[3], 'false')::boolean;
  at timestamptz := coalesce(nullif(current_setting('user_defined.system_time', true), '')::timestamptz,
                             CURRENT_TIMESTAMP);
  existing tstzrange;
  common text[];
BEGIN
  IF TG_WHEN <> 'BEFORE' OR TG_LEVEL <> 'ROW' THEN
    RAISE TRIGGER_PROTOCOL_VIOLATED USING MESSAGE = 'function "versioning" must be fired BEFORE ROW';
  END IF;
  IF ignore_unchanged AND TG_OP = 'UPDATE' AND NEW IS NOT DISTINCT FROM OLD THEN
    RETURN OLD;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    -- a row already written by this transaction is not archived again
    IF OLD.xmin::text = (txid_current() % (2^32)::bigint)::text THEN
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = history_table::regclass AND attname = sys_period
                   AND NOT attisdropped) THEN
      RAISE 'history relation "%" does not contain system period column "%"', history_table, sys_period;
    END IF;
    EXECUTE format('SELECT $1.%I', sys_period) USING OLD INTO existing;
    IF lower(existing) >= at THEN
      IF mitigate THEN
        at := lower(existing) + interval '1 microsecond';
      ELSE
        RAISE 'system period value of relation "%" cannot be set to a valid period because a row that is '
              'attempted to modify was also modified by another transaction', TG_TABLE_NAME
              USING ERRCODE = 'data_exception';
      END IF;
    END IF;
    SELECT array_agg(quote_ident(h.attname) ORDER BY h.attnum) INTO common
    FROM pg_attribute h JOIN pg_attribute m ON m.attrelid = TG_RELID AND m.attname = h.attname
         AND m.attnum > 0 AND NOT m.attisdropped
    WHERE h.attrelid = history_table::regclass AND h.attnum > 0 AND NOT h.attisdropped AND h.attname <> sys_period;
    EXECUTE 'INSERT INTO ' || history_table || '(' || array_to_string(common, ',') || ',' || quote_ident(sys_period)
            || ') VALUES ($1.' || array_to_string(common, ',$1.') || ', tstzrange($2, $3, ''[)''))'
      USING OLD, lower(existing), at;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    RETURN jsonb_populate_record(NEW, jsonb_build_object(sys_period, tstzrange(at, NULL, '[)')));
  END IF;
  RETURN OLD;
END
$fn$
"""


def temporal_tables_story(url: str) -> dict[str, Any]:
    """``contract`` (its history leaves ``visits`` out: not archived) and ``memo``, each with a ``sys_period``
    tstzrange and the suite's ``versioning()`` trigger (see the module docstring)."""
    history = ("id integer NOT NULL, title text NOT NULL, amount numeric(12, 2), meta jsonb, signed_at timestamptz, "
               "note text, sys_period tstzrange NOT NULL")
    return _run(url, (
        VERSIONING_FUNCTION,
        f"CREATE TABLE contract ({COLUMNS}, sys_period tstzrange NOT NULL DEFAULT tstzrange(now(), NULL))",
        f"CREATE TABLE contract_history ({history})",
        "CREATE TRIGGER versioning_trigger BEFORE INSERT OR UPDATE OR DELETE ON contract FOR EACH ROW "
        "EXECUTE PROCEDURE versioning('sys_period', 'contract_history', true)",
        "CREATE TABLE memo (code varchar(10) PRIMARY KEY, body text, sys_period tstzrange NOT NULL)",
        "CREATE TABLE memo_history (LIKE memo)",
        "CREATE TRIGGER memo_versioning BEFORE INSERT OR UPDATE OR DELETE ON memo FOR EACH ROW "
        "EXECUTE PROCEDURE versioning('sys_period', 'public.memo_history', 'true')",
    ))
