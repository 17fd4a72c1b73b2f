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
}
SCHEMAS = {"old-state": old_state, "new-state": new_state}

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


def build(url: str, shape: str, tmp: Path, config: str | None = None) -> Path:
    """Create the shape's schema and triggers, run STORY statement by statement, write chrono.toml."""
    d = dialect(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in SCHEMAS[shape](d):
            conn.exec_driver_sql(statement)
    for statement in STORY:
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
