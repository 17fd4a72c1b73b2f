"""Catalog facts beyond tables and columns, read for a whole snapshot in one query per fact.

A convention names the facts it needs (``Convention.facts``); reflection reads the union of them along with
the tables, once per command, so detection still never queries the catalog again. Each fact fills a typed
value on ``TableInfo`` (``triggers``, ``facts[...]``) or on the snapshot (``sequences``):

==================== ========================================================================================
``triggers``         triggers on each table: PostgreSQL ``pg_trigger``, SQLite ``sqlite_master``, MariaDB
                     ``information_schema.TRIGGERS``
``system-versioning`` MariaDB ``WITH SYSTEM VERSIONING``: explicit or implicit ROW START/END, and the columns
                     declared ``WITHOUT SYSTEM VERSIONING`` (``SystemVersioning``)
``invisible-columns`` MariaDB ``INVISIBLE`` columns (left out of ``SELECT *``)
``periods``          the PostgreSQL periods extension's system-time periods (``SystemPeriod``)
``sequences``        sequence names per schema (PostgreSQL, MariaDB 10.3+)
==================== ========================================================================================
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.types import String

from chrono_cli.db.triggers import TriggerInfo, pg_triggers
from chrono_cli.model import TableRef
from chrono_cli.records import Struct

if TYPE_CHECKING:
    from chrono_cli.db.reflect import TableInfo

TRIGGERS = "triggers"
SYSTEM_VERSIONING = "system-versioning"
INVISIBLE_COLUMNS = "invisible-columns"
PERIODS = "periods"
SEQUENCES = "sequences"


class SystemVersioning(Struct, frozen=True):
    """A MariaDB system-versioned table: its period columns (None: implicit, invisible) and unversioned columns."""

    row_start: str | None = None
    row_end: str | None = None
    unversioned: tuple[str, ...] = ()  # WITHOUT SYSTEM VERSIONING: history rows keep a stale value
    transaction_precise: bool = False  # BIGINT UNSIGNED period columns: InnoDB transaction ids
    partitioned: bool = False          # PARTITION BY SYSTEM_TIME: history rows in their own partitions

    @property
    def implicit(self) -> bool:
        return self.row_start is None


class SystemPeriod(Struct, frozen=True):
    """A periods-extension system-time period: its columns, history table, view and excluded columns."""

    name: str
    start: str
    end: str
    history: TableRef | None = None     # None: the period exists but system versioning was not added
    view: TableRef | None = None
    as_of: str | None = None            # the generated ``<t>__as_of(timestamptz)`` function
    excluded: tuple[str, ...] = ()
    between: str | None = None          # ``<t>__between(timestamptz, timestamptz)``
    generated_always_trigger: str | None = None  # BEFORE INSERT OR UPDATE: stamps the period columns
    write_history_trigger: str | None = None     # AFTER INSERT OR UPDATE OR DELETE: archives replaced rows


def _sql(name: str) -> str:
    return resources.files("chrono_cli.db").joinpath("sql", name).read_text(encoding="utf-8")


def _schemas(tables: Mapping[TableRef, TableInfo], default_schema: str | None) -> set[str | None]:
    return {ref.schema or default_schema for ref in tables}


def _find(tables: Mapping[TableRef, TableInfo], schema: str | None, name: str,
          default_schema: str | None) -> TableInfo | None:
    return tables.get(TableRef(schema, name)) or (
        tables.get(TableRef(None, name)) if schema in (None, default_schema) else None)


def _triggers(conn: Connection, tables: Mapping[TableRef, TableInfo], default_schema: str | None) -> None:
    dialect = conn.dialect.name
    found: dict[tuple[str | None, str], list[TriggerInfo]] = {}
    if dialect == "postgresql":
        for key, value in pg_triggers(conn, {s for s in _schemas(tables, default_schema) if s}).items():
            found[key] = list(value)
    elif dialect == "sqlite":
        for row in conn.execute(text(_sql("sqlite_all_triggers.sql"))):
            trigger = _sqlite_trigger(row.trigger_name, row.definition or "")
            if trigger is not None:
                found.setdefault((None, row.table_name), []).append(trigger)
    elif dialect in ("mysql", "mariadb"):
        for schema in _schemas(tables, default_schema):
            for row in conn.execute(text(_sql("mysql_all_triggers.sql")), {"schema": schema}):
                found.setdefault((schema, row.table_name), []).append(
                    TriggerInfo(row.trigger_name, "", None, True, str(row.timing).upper(), (str(row.event).upper(),),
                                str(row.orientation).upper() == "ROW"))
    for (schema, name), triggers in found.items():
        info = _find(tables, schema, name, default_schema)
        if info is not None:
            info.triggers = tuple(triggers)


_SQLITE_HEAD = re.compile(r"\bTRIGGER\b.*?\b(BEFORE|AFTER|INSTEAD\s+OF)?\s*\b(INSERT|UPDATE|DELETE)\b(?:\s+OF\b.*?)?"
                          r"\s+ON\b", re.IGNORECASE | re.DOTALL)


def _sqlite_trigger(name: str, definition: str) -> TriggerInfo | None:
    """Timing and event from a SQLite CREATE TRIGGER statement (SQLite triggers are always FOR EACH ROW)."""
    match = _SQLITE_HEAD.search(definition)
    if match is None:
        return None
    timing = " ".join((match.group(1) or "BEFORE").upper().split())
    return TriggerInfo(name, "", None, True, timing, (match.group(2).upper(),), True)


def _system_versioning(conn: Connection, tables: Mapping[TableRef, TableInfo], default_schema: str | None) -> None:
    if conn.dialect.name not in ("mysql", "mariadb"):
        return
    for schema in _schemas(tables, default_schema):
        params = {"schema": schema}
        versioned = {row.table_name for row in conn.execute(text(_sql("mysql_versioned_tables.sql")), params)}
        if not versioned:
            continue
        partitioned = {row.table_name for row in conn.execute(text(_sql("mysql_system_time_partitions.sql")), params)}
        found: dict[str, dict[str, Any]] = {name: {"start": None, "end": None, "unversioned": [], "trx": False}
                                            for name in versioned}
        for row in conn.execute(text(_sql("mysql_versioning_columns.sql")), params):
            entry = found.get(row.table_name)
            if entry is None:
                continue
            if row.generation == "ROW START":
                entry["start"] = row.column_name
                entry["trx"] = str(row.data_type or "").lower() == "bigint"
            elif row.generation == "ROW END":
                entry["end"] = row.column_name
            elif "WITHOUT SYSTEM VERSIONING" in str(row.extra or "").upper():
                entry["unversioned"].append(row.column_name)
        for name, entry in found.items():
            info = _find(tables, schema, name, default_schema)
            if info is not None:
                info.facts[SYSTEM_VERSIONING] = SystemVersioning(entry["start"], entry["end"],
                                                                 tuple(entry["unversioned"]), entry["trx"],
                                                                 name in partitioned)


def _invisible_columns(conn: Connection, tables: Mapping[TableRef, TableInfo], default_schema: str | None) -> None:
    if conn.dialect.name not in ("mysql", "mariadb"):
        return
    for schema in _schemas(tables, default_schema):
        found: dict[str, list[str]] = {}
        for row in conn.execute(text(_sql("mysql_invisible_columns.sql")), {"schema": schema}):
            found.setdefault(row.table_name, []).append(row.column_name)
        for name, columns in found.items():
            info = _find(tables, schema, name, default_schema)
            if info is not None:
                info.facts[INVISIBLE_COLUMNS] = tuple(columns)


def _periods(conn: Connection, tables: Mapping[TableRef, TableInfo], default_schema: str | None) -> None:
    if conn.dialect.name != "postgresql" or not conn.execute(text(_sql("pg_has_periods.sql"))).scalar():
        return
    from sqlalchemy.dialects.postgresql import ARRAY  # only on PostgreSQL: the dialect package is heavy to import

    schemas = sorted(s for s in _schemas(tables, default_schema) if s)
    query = text(_sql("pg_periods.sql")).bindparams(bindparam("schemas", type_=ARRAY(String)))
    found: dict[tuple[str, str], list[SystemPeriod]] = {}
    for row in conn.execute(query, {"schemas": schemas}):
        history = None if row.history_name is None else TableRef(row.history_schema, row.history_name)
        view = None if row.view_name is None else TableRef(row.view_schema, row.view_name)
        found.setdefault((row.table_schema, row.table_name), []).append(
            SystemPeriod(row.period_name, row.start_column, row.end_column, history, view, row.func_as_of,
                         tuple(row.excluded or ()), row.func_between, row.generated_always_trigger,
                         row.write_history_trigger))
    for (schema, name), periods in found.items():
        info = _find(tables, schema, name, default_schema)
        if info is not None:
            info.facts[PERIODS] = tuple(periods)


def sequences(conn: Connection, schemas: Collection[str | None]) -> frozenset[TableRef]:
    """Every sequence of ``schemas`` (one catalog call each; empty where the dialect has none)."""
    insp = inspect(conn)
    out: set[TableRef] = set()
    for schema in schemas:
        try:
            out |= {TableRef(schema, name) for name in insp.get_sequence_names(schema=schema)}
        except NotImplementedError:
            return frozenset()
    return frozenset(out)


Reader = Callable[[Connection, Mapping[TableRef, "TableInfo"], str | None], None]
TABLE_FACTS: dict[str, Reader] = {
    TRIGGERS: _triggers,
    SYSTEM_VERSIONING: _system_versioning,
    INVISIBLE_COLUMNS: _invisible_columns,
    PERIODS: _periods,
}
KNOWN = frozenset(TABLE_FACTS) | {SEQUENCES}


def read(conn: Connection, tables: Mapping[TableRef, TableInfo], default_schema: str | None,
         wanted: Collection[str]) -> None:
    """Fill in the table facts in ``wanted`` on every reflected table (one query per fact and schema)."""
    unknown = set(wanted) - KNOWN
    if unknown:
        raise ValueError(f"unknown catalog fact(s): {', '.join(sorted(unknown))} (known: {', '.join(sorted(KNOWN))})")
    for name, reader in TABLE_FACTS.items():
        if name in wanted and tables:
            reader(conn, tables, default_schema)
