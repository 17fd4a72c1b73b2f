"""DDL that neither SQLAlchemy nor alembic has a construct for, compiled with the dialect's quoting."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Table
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


class AllowVersionedAlter(ExecutableDDLElement):
    """``SET @@system_versioning_alter_history = KEEP``: MariaDB refuses ALTER TABLE on a system-versioned table
    without it (error 4119)."""


@compiles(AllowVersionedAlter)
def _allow_versioned_alter(element: AllowVersionedAlter, compiler: DDLCompiler, **kw: Any) -> str:
    return "SET @@system_versioning_alter_history = KEEP"


class AddSystemVersioning(ExecutableDDLElement):
    """``ALTER TABLE <table> ADD SYSTEM VERSIONING`` (MariaDB: implicit invisible ROW_START/ROW_END)."""

    def __init__(self, table: Table) -> None:
        self.table = table


@compiles(AddSystemVersioning)
def _add_system_versioning(element: AddSystemVersioning, compiler: DDLCompiler, **kw: Any) -> str:
    return f"ALTER TABLE {compiler.preparer.format_table(element.table)} ADD SYSTEM VERSIONING"


class VersionColumn(ExecutableDDLElement):
    """``ALTER TABLE <table> MODIFY <column as defined> WITH SYSTEM VERSIONING`` (MariaDB)."""

    def __init__(self, column: Column[Any]) -> None:
        self.column = column


@compiles(VersionColumn)
def _version_column(element: VersionColumn, compiler: DDLCompiler, **kw: Any) -> str:
    table = compiler.preparer.format_table(element.column.table)
    return f"ALTER TABLE {table} MODIFY {compiler.get_column_specification(element.column)} WITH SYSTEM VERSIONING"
