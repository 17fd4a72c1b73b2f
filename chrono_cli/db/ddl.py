"""DDL that neither SQLAlchemy nor alembic has a construct for, compiled with the dialect's quoting."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import ExecutableDDLElement
from sqlalchemy.sql.compiler import DDLCompiler


class EnableTrigger(ExecutableDDLElement):
    """``ALTER TABLE <table> ENABLE TRIGGER <trigger>`` (PostgreSQL)."""

    def __init__(self, table: str, trigger: str, schema: str | None = None) -> None:
        self.table = table
        self.trigger = trigger
        self.schema = schema


@compiles(EnableTrigger)
def _enable_trigger(element: EnableTrigger, compiler: DDLCompiler, **kw: Any) -> str:
    prep = compiler.preparer
    table = prep.quote(element.table)
    if element.schema:
        table = f"{prep.quote_schema(element.schema)}.{table}"
    return f"ALTER TABLE {table} ENABLE TRIGGER {prep.quote(element.trigger)}"
