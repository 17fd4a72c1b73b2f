"""DDL that neither SQLAlchemy nor alembic has a construct for, compiled with the dialect's quoting."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import ExecutableDDLElement
from sqlalchemy.sql.compiler import DDLCompiler


def _qualified(compiler: DDLCompiler, name: str, schema: str | None) -> str:
    """``name`` quoted for the dialect, after its quoted schema when it has one."""
    prep = compiler.preparer
    return f"{prep.quote_schema(schema)}.{prep.quote(name)}" if schema else prep.quote(name)


class EnableTrigger(ExecutableDDLElement):
    """``ALTER TABLE <table> ENABLE TRIGGER <trigger>`` (PostgreSQL)."""

    def __init__(self, table: str, trigger: str, schema: str | None = None) -> None:
        self.table = table
        self.trigger = trigger
        self.schema = schema


@compiles(EnableTrigger)
def _enable_trigger(element: EnableTrigger, compiler: DDLCompiler, **kw: Any) -> str:
    table = _qualified(compiler, element.table, element.schema)
    return f"ALTER TABLE {table} ENABLE TRIGGER {compiler.preparer.quote(element.trigger)}"


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


class CreateTrigger(ExecutableDDLElement):
    """``CREATE TRIGGER <name> <timing> <events> ON <table> FOR EACH ROW EXECUTE PROCEDURE <function>(<args>)``."""

    def __init__(self, table: str, name: str, timing: str, events: tuple[str, ...], function: str,
                 args: tuple[str, ...] = (), schema: str | None = None) -> None:
        self.table = table
        self.name = name
        self.timing = timing
        self.events = events
        self.function = function
        self.args = args
        self.schema = schema


@compiles(CreateTrigger)
def _create_trigger(element: CreateTrigger, compiler: DDLCompiler, **kw: Any) -> str:
    prep = compiler.preparer
    table = _qualified(compiler, element.table, element.schema)
    timing = {"BEFORE": "BEFORE", "AFTER": "AFTER"}[element.timing.upper()]
    events = " OR ".join({"INSERT": "INSERT", "UPDATE": "UPDATE", "DELETE": "DELETE"}[e.upper()]
                         for e in element.events)
    args = ", ".join("'" + a.replace("'", "''") + "'" for a in element.args)  # trigger arguments are string literals
    return (f"CREATE TRIGGER {prep.quote(element.name)} {timing} {events} ON {table} FOR EACH ROW "
            f"EXECUTE PROCEDURE {prep.quote(element.function)}({args})")


class CallTableFunction(ExecutableDDLElement):
    """``SELECT [<schema>.]<function>('<table>')``: a library's set-up function called for one table."""

    def __init__(self, function: str, table: str, table_schema: str | None = None,
                 function_schema: str | None = None) -> None:
        self.function = function
        self.table = table
        self.table_schema = table_schema
        self.function_schema = function_schema


@compiles(CallTableFunction)
def _call_table_function(element: CallTableFunction, compiler: DDLCompiler, **kw: Any) -> str:
    from sqlalchemy import String, literal

    name = _qualified(compiler, element.function, element.function_schema)
    table = _qualified(compiler, element.table, element.table_schema)
    arg = literal(table, String()).compile(dialect=compiler.dialect, compile_kwargs={"literal_binds": True})
    return f"SELECT {name}({arg})"
