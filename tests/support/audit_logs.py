"""Hand-installed audit triggers, as the test suite's own SQL: supabase ``supa_audit`` and the 2ndQuadrant audit
trigger, with a story written through them and a reading of their documented tables in plain SQL.

Neither is installable from the package registries here (both are SQL scripts people copy into their databases),
so these functions and tables follow the documented layouts and behaviour (/work/shared/conventions.md 7A and
7B): supa_audit's ``audit.record_version`` (whole ``record``/``old_record`` JSONB, a row for every UPDATE,
no-op included, ``record_id`` = uuid v5 of the table OID and key) and 2ndQuadrant's ``audit.logged_actions``
(hstore ``row_data`` = the whole new row on INSERT and the whole old row on UPDATE/DELETE, ``changed_fields`` =
the changed columns' new values, no row for a no-op UPDATE, ignored columns left out, ``transaction_id`` =
``txid_current()``). The reading is what their documentation says a row means: supa_audit's state after a
change is ``record``; the audit trigger's is ``row_data`` (I), ``row_data || changed_fields`` (U), none (D).
Nothing here imports ``chrono_cli``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, text

SUPA_AUDIT = r"""
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE SCHEMA audit;
CREATE TYPE audit.operation AS ENUM ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE');
CREATE TABLE audit.record_version (
  id bigserial PRIMARY KEY, record_id uuid, old_record_id uuid, op audit.operation NOT NULL,
  ts timestamptz NOT NULL DEFAULT now(), table_oid oid NOT NULL, table_schema name NOT NULL,
  table_name name NOT NULL, record jsonb, old_record jsonb,
  CHECK (coalesce(record_id, old_record_id) IS NOT NULL OR op = 'TRUNCATE'),
  CHECK (op IN ('INSERT', 'UPDATE') = (record_id IS NOT NULL)),
  CHECK (op IN ('INSERT', 'UPDATE') = (record IS NOT NULL)),
  CHECK (op IN ('UPDATE', 'DELETE') = (old_record_id IS NOT NULL)),
  CHECK (op IN ('UPDATE', 'DELETE') = (old_record IS NOT NULL)));
CREATE INDEX record_version_record_id ON audit.record_version (record_id) WHERE record_id IS NOT NULL;
CREATE INDEX record_version_old_record_id ON audit.record_version (old_record_id) WHERE old_record_id IS NOT NULL;
CREATE INDEX record_version_ts ON audit.record_version USING brin (ts);
CREATE INDEX record_version_table_oid ON audit.record_version (table_oid);

CREATE FUNCTION audit.primary_key_columns(entity_oid oid) RETURNS text[] STABLE LANGUAGE sql AS $$
  SELECT coalesce(array_agg(pa.attname::text ORDER BY pa.attnum), array[]::text[])
  FROM pg_index pi JOIN pg_attribute pa ON pi.indrelid = pa.attrelid AND pa.attnum = ANY(pi.indkey)
  WHERE pi.indrelid = $1 AND pi.indisprimary
$$;

CREATE FUNCTION audit.to_record_id(entity_oid oid, pkey_cols text[], rec jsonb) RETURNS uuid STABLE
LANGUAGE sql AS $$
  SELECT CASE WHEN rec IS NULL THEN NULL
              WHEN pkey_cols = array[]::text[] THEN uuid_generate_v4()
              ELSE (SELECT uuid_generate_v5('fd62bc3d-8d6e-43c2-919c-802ba3762271',
                                            (jsonb_build_array(to_jsonb($1)) || jsonb_agg($3 ->> key_))::text)
                    FROM unnest($2) x(key_)) END
$$;

CREATE FUNCTION audit.insert_update_delete_trigger() RETURNS trigger SECURITY DEFINER LANGUAGE plpgsql AS $$
DECLARE
  pkey_cols text[] = audit.primary_key_columns(TG_RELID);
  record_jsonb jsonb = to_jsonb(new);
  record_id uuid = audit.to_record_id(TG_RELID, pkey_cols, record_jsonb);
  old_record_jsonb jsonb = to_jsonb(old);
  old_record_id uuid = audit.to_record_id(TG_RELID, pkey_cols, old_record_jsonb);
BEGIN
  INSERT INTO audit.record_version (record_id, old_record_id, op, table_oid, table_schema, table_name, record,
                                    old_record)
  SELECT record_id, old_record_id, TG_OP::audit.operation, TG_RELID, TG_TABLE_SCHEMA, TG_TABLE_NAME, record_jsonb,
         old_record_jsonb;
  RETURN coalesce(new, old);
END;
$$;

CREATE FUNCTION audit.truncate_trigger() RETURNS trigger SECURITY DEFINER LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit.record_version (op, table_oid, table_schema, table_name)
  SELECT TG_OP::audit.operation, TG_RELID, TG_TABLE_SCHEMA, TG_TABLE_NAME;
  RETURN coalesce(old, new);
END;
$$;

CREATE FUNCTION audit.enable_tracking(regclass) RETURNS void VOLATILE SECURITY DEFINER LANGUAGE plpgsql AS $$
DECLARE
  statement_row text = format('CREATE TRIGGER audit_i_u_d AFTER INSERT OR UPDATE OR DELETE ON %s '
                              'FOR EACH ROW EXECUTE PROCEDURE audit.insert_update_delete_trigger();', $1);
  statement_stmt text = format('CREATE TRIGGER audit_t AFTER TRUNCATE ON %s '
                               'FOR EACH STATEMENT EXECUTE PROCEDURE audit.truncate_trigger();', $1);
  pkey_cols text[] = audit.primary_key_columns($1);
BEGIN
  IF pkey_cols = array[]::text[] THEN
    RAISE EXCEPTION 'Table % can not be audited because it has no primary key', $1;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = $1 AND tgname = 'audit_i_u_d') THEN
    EXECUTE statement_row;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = $1 AND tgname = 'audit_t') THEN
    EXECUTE statement_stmt;
  END IF;
END;
$$;
"""

AUDIT_TRIGGER = r"""
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE SCHEMA audit;
CREATE TABLE audit.logged_actions (
  event_id bigserial PRIMARY KEY, schema_name text NOT NULL, table_name text NOT NULL, relid oid NOT NULL,
  session_user_name text, action_tstamp_tx timestamptz NOT NULL, action_tstamp_stm timestamptz NOT NULL,
  action_tstamp_clk timestamptz NOT NULL, transaction_id bigint, application_name text, client_addr inet,
  client_port integer, client_query text, action text NOT NULL CHECK (action IN ('I', 'D', 'U', 'T')),
  row_data hstore, changed_fields hstore, statement_only boolean NOT NULL);
CREATE INDEX logged_actions_relid_idx ON audit.logged_actions (relid);
CREATE INDEX logged_actions_action_tstamp_tx_stm_idx ON audit.logged_actions (action_tstamp_stm);
CREATE INDEX logged_actions_action_idx ON audit.logged_actions (action);

CREATE FUNCTION audit.if_modified_func() RETURNS trigger SECURITY DEFINER LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
DECLARE
  audit_row audit.logged_actions;
  include_values boolean;
  log_diffs boolean;
  h_old hstore;
  h_new hstore;
  excluded_cols text[] = ARRAY[]::text[];
BEGIN
  IF TG_WHEN <> 'AFTER' THEN
    RAISE EXCEPTION 'audit.if_modified_func() may only run as an AFTER trigger';
  END IF;
  audit_row = ROW(nextval('audit.logged_actions_event_id_seq'), TG_TABLE_SCHEMA::text, TG_TABLE_NAME::text,
                  TG_RELID, session_user::text, current_timestamp, statement_timestamp(), clock_timestamp(),
                  txid_current(), current_setting('application_name'), inet_client_addr(), inet_client_port(),
                  current_query(), substring(TG_OP, 1, 1), NULL, NULL, 'f');
  IF NOT TG_ARGV[0]::boolean IS DISTINCT FROM 'f'::boolean THEN
    audit_row.client_query = NULL;
  END IF;
  IF TG_ARGV[1] IS NOT NULL THEN
    excluded_cols = TG_ARGV[1]::text[];
  END IF;
  IF (TG_OP = 'UPDATE' AND TG_LEVEL = 'ROW') THEN
    audit_row.row_data = hstore(OLD.*) - excluded_cols;
    audit_row.changed_fields = (hstore(NEW.*) - audit_row.row_data) - excluded_cols;
    IF audit_row.changed_fields = hstore('') THEN
      RETURN NULL;  -- all changed fields are ignored (or none changed): skip this row
    END IF;
  ELSIF (TG_OP = 'DELETE' AND TG_LEVEL = 'ROW') THEN
    audit_row.row_data = hstore(OLD.*) - excluded_cols;
  ELSIF (TG_OP = 'INSERT' AND TG_LEVEL = 'ROW') THEN
    audit_row.row_data = hstore(NEW.*) - excluded_cols;
  ELSIF (TG_LEVEL = 'STATEMENT' AND TG_OP IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')) THEN
    audit_row.statement_only = 't';
  ELSE
    RAISE EXCEPTION '[audit.if_modified_func] - Trigger func added as trigger for unhandled case: %, %',
      TG_OP, TG_LEVEL;
  END IF;
  INSERT INTO audit.logged_actions VALUES (audit_row.*);
  RETURN NULL;
END;
$$;

CREATE FUNCTION audit.audit_table(target_table regclass, audit_rows boolean, audit_query_text boolean,
                                  ignored_cols text[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  stm_targets text = 'INSERT OR UPDATE OR DELETE OR TRUNCATE';
  _q_txt text;
  _ignored_cols_snip text = '';
BEGIN
  EXECUTE 'DROP TRIGGER IF EXISTS audit_trigger_row ON ' || target_table;
  EXECUTE 'DROP TRIGGER IF EXISTS audit_trigger_stm ON ' || target_table;
  IF audit_rows THEN
    IF array_length(ignored_cols, 1) > 0 THEN
      _ignored_cols_snip = ', ' || quote_literal(ignored_cols);
    END IF;
    _q_txt = 'CREATE TRIGGER audit_trigger_row AFTER INSERT OR UPDATE OR DELETE ON ' || target_table ||
             ' FOR EACH ROW EXECUTE PROCEDURE audit.if_modified_func(' || quote_literal(audit_query_text) ||
             _ignored_cols_snip || ');';
    EXECUTE _q_txt;
    stm_targets = 'TRUNCATE';
  END IF;
  _q_txt = 'CREATE TRIGGER audit_trigger_stm AFTER ' || stm_targets || ' ON ' || target_table ||
           ' FOR EACH STATEMENT EXECUTE PROCEDURE audit.if_modified_func(' || quote_literal(audit_query_text) || ');';
  EXECUTE _q_txt;
END;
$$;

CREATE FUNCTION audit.audit_table(target_table regclass, audit_rows boolean, audit_query_text boolean)
RETURNS void LANGUAGE sql AS $$
  SELECT audit.audit_table($1, $2, $3, ARRAY[]::text[]);
$$;

CREATE FUNCTION audit.audit_table(target_table regclass) RETURNS void LANGUAGE sql AS $$
  SELECT audit.audit_table($1, BOOLEAN 't', BOOLEAN 't');
$$;
"""

TABLES = """
CREATE TABLE article (id integer PRIMARY KEY, name varchar(80) NOT NULL, price numeric(10, 2),
                      published_at timestamptz, meta jsonb, note text, views integer NOT NULL DEFAULT 0);
CREATE TABLE tag (id integer PRIMARY KEY, label varchar(40) NOT NULL);
"""

ENABLE = {
    "supa": ("SELECT audit.enable_tracking('article'::regclass)", "SELECT audit.enable_tracking('tag'::regclass)"),
    "audit-trigger": ("SELECT audit.audit_table('article', true, true, '{views}')", "SELECT audit.audit_table('tag')"),
}

# one list per transaction: inserts, two updates of one row in one transaction, a NULL, unicode, numeric, JSON,
# a timestamp with an offset, a delete and re-creation of one key, a record deleted for good, a no-op update
STORY = (
    ("INSERT INTO article (id, name, price, published_at, meta, note) VALUES "
     "(1, 'First', 12.30, '2026-11-20 09:00+02', '{\"tags\": [\"a\"]}', 'draft'), "
     "(2, 'Second', 5.00, NULL, NULL, NULL), (3, 'Third', 0.99, NULL, NULL, 'to be deleted')",
     "INSERT INTO tag (id, label) VALUES (1, 'news')"),
    ("UPDATE article SET name = 'Fïrst ünïcode ✓', price = 13.50 WHERE id = 1",
     "UPDATE article SET meta = '{\"tags\": [\"a\", \"b\"], \"n\": 1.5}', published_at = '2026-11-21 09:00+02' "
     "WHERE id = 1"),
    ("UPDATE article SET note = NULL WHERE id = 1",),
    ("DELETE FROM article WHERE id = 2", "UPDATE tag SET label = 'breaking news' WHERE id = 1"),
    ("INSERT INTO article (id, name, price, note) VALUES (2, 'Second again', 7.25, 'back')",),
    ("UPDATE article SET name = name WHERE id = 1", "UPDATE article SET views = 42 WHERE id = 1"),
    ("DELETE FROM article WHERE id = 3",),
)
COLUMNS = {"article": ("id", "name", "price", "published_at", "meta", "note", "views"), "tag": ("id", "label")}


def build(url: str, kind: str) -> dict[str, Any]:
    """The audit objects, the tables, their triggers and the story, one transaction per step."""
    engine = create_engine(url)
    try:
        raw = engine.raw_connection()  # the scripts hold format('%s'): no parameter interpolation
        try:
            with raw.cursor() as cur:
                cur.execute(SUPA_AUDIT if kind == "supa" else AUDIT_TRIGGER)
                cur.execute(TABLES)
                for statement in ENABLE[kind]:
                    cur.execute(statement)
            raw.commit()
            for step in STORY:
                with raw.cursor() as cur:
                    for statement in step:
                        cur.execute(statement)
                raw.commit()
        finally:
            raw.close()
    finally:
        engine.dispose()
    return {"story": kind}


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else str(value) if value is not None and not isinstance(
        value, int | float | str | bool | dict | list) else value


def read(url: str, kind: str, save: tuple[str, str] | None = None) -> dict[str, Any]:
    """The documented reading of the log (plain SQL), the live rows, and one ordinary save (an UPDATE)."""
    engine = create_engine(url)

    def timelines() -> dict[str, Any]:
        out: dict[str, Any] = {}
        with engine.connect() as conn:
            for table in COLUMNS:
                per: dict[str, list[dict[str, Any]]] = {}
                if kind == "supa":
                    rows = conn.execute(text("SELECT id, op::text AS op, ts, record, old_record "
                                             "FROM audit.record_version WHERE table_name = :t AND op <> 'TRUNCATE' "
                                             "ORDER BY id"), {"t": table})
                    for r in rows:
                        key = str((r.record or r.old_record)["id"])
                        per.setdefault(key, []).append({"version": r.id, "op": r.op.lower(), "values": r.record,
                                                        "at": r.ts.isoformat(), "actor": None})
                else:
                    # the documented state after an event, typed by the table's row type (populate_record)
                    rows = conn.execute(text(
                        "SELECT event_id, action, action_tstamp_stm, transaction_id, session_user_name, "
                        "row_data -> 'id' AS key, akeys(row_data) AS recorded, to_jsonb(populate_record(NULL::"
                        + table + ", row_data || coalesce(changed_fields, ''::hstore))) AS data "
                        "FROM audit.logged_actions WHERE table_name = :t AND NOT statement_only ORDER BY event_id"),
                        {"t": table})
                    for r in rows:
                        key = r.key
                        op = {"I": "insert", "U": "update", "D": "delete"}[r.action]
                        # populate_record fills the columns the row does not name (ignored ones) with NULL
                        values = None if op == "delete" else {c: v for c, v in r.data.items() if c in r.recorded}
                        per.setdefault(key, []).append({"version": r.transaction_id, "op": op, "values": values,
                                                        "at": r.action_tstamp_stm.isoformat(),
                                                        "actor": r.session_user_name})
                out[table] = per
        return out

    def live(keys: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        with engine.connect() as conn:
            for table, per in keys.items():
                out[table] = {}
                for key in per:
                    row = conn.execute(text(f"SELECT * FROM {table} WHERE id = :k"), {"k": int(key)}).mappings().first()
                    out[table][key] = None if row is None else {c: _plain(row[c]) for c in COLUMNS[table]}
        return out

    try:
        before = timelines()
        reading: dict[str, Any] = {"timelines": before, "live": live(before), "saved": None, "after": None}
        if save is not None:
            table, key = save
            field = "name" if table == "article" else "label"
            with engine.begin() as conn:
                value = conn.execute(text(f"UPDATE {table} SET {field} = {field} || ' (saved)' WHERE id = :k "
                                          f"RETURNING {field}"), {"k": int(key)}).scalar_one()
            reading["saved"] = {field: value}
            reading["after"] = timelines()
        return reading
    finally:
        engine.dispose()


def execute(url: str, *statements: str) -> None:
    """Run statements in one transaction (``SET LOCAL`` holds for the rest of them)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def scalar(url: str, sql: str) -> Any:
    """The one value a query returns."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()
