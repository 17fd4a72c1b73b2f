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

    prep = compiler.preparer
    name = prep.quote(element.function)
    if element.function_schema:
        name = f"{prep.quote_schema(element.function_schema)}.{name}"
    table = prep.quote(element.table)
    if element.table_schema:
        table = f"{prep.quote_schema(element.table_schema)}.{table}"
    arg = literal(table, String()).compile(dialect=compiler.dialect, compile_kwargs={"literal_binds": True})
    return f"SELECT {name}({arg})"
