"""Home-grown history tables for the declared-layout tests: schemas and triggers written by this test suite
(not by any library), following the layouts README.md documents, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import create_engine, text

SERIAL = {"sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT", "postgresql": "SERIAL PRIMARY KEY",
          "mysql": "INTEGER AUTO_INCREMENT PRIMARY KEY"}
TIME = {"sqlite": "TIMESTAMP", "postgresql": "TIMESTAMPTZ", "mysql": "DATETIME(6)"}
NOW = {"sqlite": "strftime('%Y-%m-%d %H:%M:%f', 'now')", "postgresql": "clock_timestamp()",
       "mysql": "UTC_TIMESTAMP(6)"}
JSON = {"sqlite": "TEXT", "postgresql": "JSONB", "mysql": "LONGTEXT"}
BASE = ("CREATE TABLE invoice (id INTEGER PRIMARY KEY, customer VARCHAR(50) NOT NULL, amount INTEGER NOT NULL, "
        "secret VARCHAR(20))")
COLUMNS = ("id", "customer", "amount")


def dialect(url: str) -> str:
    """sqlite, postgresql or mysql."""
    name = url.split(":", 1)[0].split("+", 1)[0]
    return "mysql" if name in ("mysql", "mariadb") else name


def trigger(d: str, name: str, event: str, body: str, table: str = "invoice") -> list[str]:
    """An AFTER ``event`` row trigger on ``table`` running one INSERT (``body``, with OLD./NEW. references)."""
    if d == "sqlite":
        return [f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {body}; END"]
    if d == "mysql":
        return [f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW {body}"]
    return [f"CREATE FUNCTION {name}_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body}; RETURN NULL; END $$",
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}_fn()"]


def old_state(d: str) -> list[str]:
    """invoice_audit: the row before each update or delete, with a global sequence, time, action and actor."""
    ddl = [BASE, f"CREATE TABLE invoice_audit (audit_id {SERIAL[d]}, invoice_id INTEGER NOT NULL, "
                 f"customer VARCHAR(50), amount INTEGER, action VARCHAR(10) NOT NULL, archived_on {TIME[d]} NOT NULL, "
                 "changed_by VARCHAR(50))"]
    for event in ("UPDATE", "DELETE"):
        ddl += trigger(d, f"invoice_audit_{event.lower()}", event,
                       "INSERT INTO invoice_audit (invoice_id, customer, amount, action, archived_on, changed_by) "
                       f"VALUES (OLD.id, OLD.customer, OLD.amount, '{event}', {NOW[d]}, 'clerk')")
    return ddl


def new_state(d: str) -> list[str]:
    """invoice_log: the row after each insert and update, the old row on delete, spelled I/U/D."""
    ddl = [BASE, f"CREATE TABLE invoice_log (log_id {SERIAL[d]}, id INTEGER NOT NULL, customer VARCHAR(50), "
                 f"amount INTEGER, op CHAR(1) NOT NULL, changed_at {TIME[d]} NOT NULL, who VARCHAR(50))"]
    for event, ref in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        ddl += trigger(d, f"invoice_log_{event.lower()}", event,
                       "INSERT INTO invoice_log (id, customer, amount, op, changed_at, who) "
                       f"VALUES ({ref}.id, {ref}.customer, {ref}.amount, '{event[0]}', {NOW[d]}, 'clerk')")
    return ddl


ROW_KEY = {"sqlite": "TEXT", "postgresql": "JSONB", "mysql": "INTEGER"}
ROW_KEY_OF = {"sqlite": "CAST({r}.id AS TEXT)", "postgresql": "jsonb_build_object('id', {r}.id)", "mysql": "{r}.id"}


def as_json(d: str, r: str) -> str:
    """The row ``r`` (OLD or NEW) without its secret column, as JSON."""
    if d == "postgresql":
        return f"to_jsonb({r}) - 'secret'"
    fn = "json_object" if d == "sqlite" else "JSON_OBJECT"
    return f"{fn}('id', {r}.id, 'customer', {r}.customer, 'amount', {r}.amount)"


def changed_only(r: str, other: str) -> str:
    """PostgreSQL: the columns of ``r`` whose value differs from ``other``'s, as a JSON object."""
    return (f"(SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(to_jsonb({r}) - 'secret') e "
            f"WHERE NOT to_jsonb({other}) @> jsonb_build_object(e.key, e.value))")


def json_snapshot(d: str) -> list[str]:
    """audit_log: a log shared by several tables holding the whole row after each change (old row on delete)."""
    ddl = [BASE, f"CREATE TABLE audit_log (id {SERIAL[d]}, table_name VARCHAR(40) NOT NULL, row_id {ROW_KEY[d]}, "
                 f"action VARCHAR(10) NOT NULL, row_data {JSON[d]}, logged_at {TIME[d]} NOT NULL, who VARCHAR(50))"]
    for event, ref in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
        ddl += trigger(d, f"audit_log_{event.lower()}", event,
                       "INSERT INTO audit_log (table_name, row_id, action, row_data, logged_at, who) VALUES "
                       f"('invoice', {ROW_KEY_OF[d].format(r=ref)}, '{event.lower()}', {as_json(d, ref)}, {NOW[d]}, "
                       "'clerk')")
    return ddl


def json_diff(d: str) -> list[str]:
    """invoice_changes: old and new values of each change (PostgreSQL: only the changed columns on update)."""
    ddl = [BASE, f"CREATE TABLE invoice_changes (id {SERIAL[d]}, tbl VARCHAR(40) NOT NULL, pk INTEGER NOT NULL, "
                 f"op VARCHAR(10) NOT NULL, old_values {JSON[d]}, new_values {JSON[d]}, at {TIME[d]} NOT NULL, "
                 "who VARCHAR(50))"]
    for event in ("INSERT", "UPDATE", "DELETE"):
        old = "NULL" if event == "INSERT" else as_json(d, "OLD")
        new = "NULL" if event == "DELETE" else as_json(d, "NEW")
        if d == "postgresql" and event == "UPDATE":
            old, new = changed_only("OLD", "NEW"), changed_only("NEW", "OLD")
        ref = "OLD" if event == "DELETE" else "NEW"
        ddl += trigger(d, f"invoice_changes_{event.lower()}", event,
                       "INSERT INTO invoice_changes (tbl, pk, op, old_values, new_values, at, who) VALUES "
                       f"('invoice', {ref}.id, '{event}', {old}, {new}, {NOW[d]}, 'clerk')")
    return ddl


def in_table(d: str) -> list[str]:
    """invoice: every version a row (vid identifies the row, id the record), closed by vt and is_current."""
    return [f"CREATE TABLE invoice (vid {SERIAL[d]}, id INTEGER NOT NULL, customer VARCHAR(50) NOT NULL, "
            f"amount INTEGER NOT NULL, secret VARCHAR(20), rev INTEGER NOT NULL, vf {TIME[d]} NOT NULL, "
            f"vt {TIME[d]}, is_current BOOLEAN NOT NULL, UNIQUE (id, rev))"]


def _version(id_: int, customer: str, amount: int, secret: str, rev: int, vf: str) -> str:
    return ("INSERT INTO invoice (id, customer, amount, secret, rev, vf, vt, is_current) VALUES "
            f"({id_}, '{customer}', {amount}, {secret}, {rev}, '{vf}', NULL, TRUE)")


def _close(id_: int, at: str) -> str:
    return f"UPDATE invoice SET vt = '{at}', is_current = FALSE WHERE id = {id_} AND is_current = TRUE"


def period(d: str) -> list[str]:
    """invoice_history: each replaced row with the period it was valid (PostgreSQL: a tstzrange sys_period, as
    temporal_tables keeps it; elsewhere valid_from/valid_to), written by triggers that also stamp the base row."""
    cols = "id INTEGER NOT NULL, customer VARCHAR(50), amount INTEGER"
    if d == "postgresql":
        return [BASE.replace("secret VARCHAR(20))", "secret VARCHAR(20), "
                             "sys_period TSTZRANGE NOT NULL DEFAULT tstzrange(clock_timestamp(), null))"),
                f"CREATE TABLE invoice_history ({cols}, sys_period TSTZRANGE NOT NULL)",
                "CREATE FUNCTION versioning_fn() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "INSERT INTO invoice_history (id, customer, amount, sys_period) VALUES (OLD.id, OLD.customer, "
                "OLD.amount, tstzrange(lower(OLD.sys_period), clock_timestamp())); "
                "IF TG_OP = 'UPDATE' THEN NEW.sys_period := tstzrange(upper((SELECT h.sys_period "
                "FROM invoice_history h WHERE h.id = OLD.id ORDER BY upper(h.sys_period) DESC LIMIT 1)), null); "
                "RETURN NEW; END IF; "
                "RETURN OLD; END $$",
                "CREATE TRIGGER versioning BEFORE UPDATE OR DELETE ON invoice FOR EACH ROW EXECUTE FUNCTION "
                "versioning_fn()"]
    default = "(strftime('%Y-%m-%d %H:%M:%f', 'now'))" if d == "sqlite" else "CURRENT_TIMESTAMP(6)"
    now = NOW[d] if d == "sqlite" else "NOW(6)"
    ddl = [BASE.replace("secret VARCHAR(20))", f"secret VARCHAR(20), valid_from {TIME[d]} NOT NULL DEFAULT {default})"),
           f"CREATE TABLE invoice_history ({cols}, valid_from {TIME[d]} NOT NULL, valid_to {TIME[d]} NOT NULL)"]
    if d == "sqlite":
        ddl += [f"CREATE TRIGGER versioning_update AFTER UPDATE OF customer, amount, secret ON invoice BEGIN "
                f"INSERT INTO invoice_history VALUES (OLD.id, OLD.customer, OLD.amount, OLD.valid_from, {now}); "
                f"UPDATE invoice SET valid_from = {now} WHERE id = NEW.id; END"]
    else:
        ddl += [f"CREATE TRIGGER versioning_update BEFORE UPDATE ON invoice FOR EACH ROW BEGIN "
                f"SET NEW.valid_from = {now}; INSERT INTO invoice_history VALUES (OLD.id, OLD.customer, OLD.amount, "
                "OLD.valid_from, NEW.valid_from); END"]
    ddl += trigger(d, "versioning_delete", "DELETE", "INSERT INTO invoice_history VALUES (OLD.id, OLD.customer, "
                   f"OLD.amount, OLD.valid_from, {now})")
    return ddl


# the same story, written the way an application keeping versions in the table writes it
IN_TABLE_STORY = [
    _version(1, "acme", 100, "'s1'", 1, "2026-01-01 10:00:00"),
    _version(2, "globex", 7, "NULL", 1, "2026-01-01 10:01:00"),
    _close(1, "2026-01-02 10:00:00"), _version(1, "acme", 150, "'s1'", 2, "2026-01-02 10:00:00"),
    _close(1, "2026-01-03 10:00:00"), _version(1, "acme corp", 150, "'s2'", 3, "2026-01-03 10:00:00"),
    _close(2, "2026-01-04 10:00:00"),
]

CONFIGS = {
    "old-state": """
[tables.invoice]
layout = "old-state"
history = "invoice_audit"
unrecorded = ["secret"]
[tables.invoice.columns]
version = "audit_id"
changed = "archived_on"
operation = "action"
actor = "changed_by"
key = ["invoice_id"]
""",
    "new-state": """
[tables.invoice]
layout = "new-state"
history = "invoice_log"
unrecorded = ["secret"]
[tables.invoice.columns]
version = "log_id"
changed = "changed_at"
operation = "op"
actor = "who"
[tables.invoice.operations]
insert = "I"
update = "U"
delete = "D"
""",
    "json-snapshot": """
[tables.invoice]
layout = "json-snapshot"
history = "audit_log"
unrecorded = ["secret"]
[tables.invoice.columns]
version = "id"
changed = "logged_at"
table = "table_name"
row_key = "row_id"
data = "row_data"
operation = "action"
actor = "who"
[tables.invoice.operations]
insert = "insert"
update = "update"
delete = "delete"
""",
    "json-diff": """
[tables.invoice]
layout = "json-diff"
history = "invoice_changes"
unrecorded = ["secret"]
[tables.invoice.columns]
version = "id"
changed = "at"
table = "tbl"
row_key = "pk"
old = "old_values"
new = "new_values"
operation = "op"
actor = "who"
""",
    "in-table": """
[tables.invoice]
layout = "in-table"
unrecorded = ["secret"]
[tables.invoice.columns]
version = "rev"
valid_from = "vf"
valid_to = "vt"
current = "is_current"
key = ["id"]
""",
    "period": """
[tables.invoice]
layout = "period"
history = "invoice_history"
unrecorded = ["secret"]
[tables.invoice.columns]
valid_from = "valid_from"
valid_to = "valid_to"
""",
}
STORIES = {"in-table": IN_TABLE_STORY}
HISTORIES = {"old-state": "invoice_audit", "new-state": "invoice_log", "json-snapshot": "audit_log",
             "json-diff": "invoice_changes", "in-table": "invoice", "period": "invoice_history"}
SCHEMAS = {"period": period, "in-table": in_table, "old-state": old_state, "new-state": new_state,
           "json-snapshot": json_snapshot, "json-diff": json_diff}

# the scripted sequence: invoice 1 lives through three states, invoice 2 is inserted and deleted
STORY = [
    "INSERT INTO invoice (id, customer, amount, secret) VALUES (1, 'acme', 100, 's1')",
    "INSERT INTO invoice (id, customer, amount, secret) VALUES (2, 'globex', 7, NULL)",
    "UPDATE invoice SET amount = 150 WHERE id = 1",
    "UPDATE invoice SET customer = 'acme corp', secret = 's2' WHERE id = 1",
    "DELETE FROM invoice WHERE id = 2",
]
STATES = [{"id": 1, "customer": "acme", "amount": 100}, {"id": 1, "customer": "acme", "amount": 150},
          {"id": 1, "customer": "acme corp", "amount": 150}]


def build(url: str, shape: str, tmp: Path, config: str | None = None, history_schema: str | None = None) -> Path:
    """Create the shape's schema and triggers, run STORY statement by statement, write chrono.toml
    (``history_schema``: the history table lives in that schema)."""
    d = dialect(url)
    if config is None and shape == "period" and d == "postgresql":
        config = CONFIGS[shape].replace('valid_from = "valid_from"\nvalid_to = "valid_to"', 'period = "sys_period"')
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in SCHEMAS[shape](d):
            if history_schema:
                statement = statement.replace(f"TABLE {HISTORIES[shape]}", f"TABLE {history_schema}.{HISTORIES[shape]}")
                statement = statement.replace(f"INTO {HISTORIES[shape]}", f"INTO {history_schema}.{HISTORIES[shape]}")
            conn.exec_driver_sql(statement)
    for statement in STORIES.get(shape, STORY):
        time.sleep(0.005)  # distinct change times even where the trigger's clock has millisecond resolution
        with engine.begin() as conn:
            conn.execute(text(statement))
    engine.dispose()
    path = tmp / "chrono.toml"
    path.write_text(config if config is not None else CONFIGS[shape], encoding="utf-8")
    return path


def execute(url: str, *statements: str) -> None:
    """Run statements, each in its own transaction."""
    engine = create_engine(url)
    for statement in statements:
        with engine.begin() as conn:
            conn.exec_driver_sql(statement)
    engine.dispose()
