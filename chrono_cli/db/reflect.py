"""One bulk catalog read per command: a SchemaSnapshot that adapters inspect without further queries."""

from __future__ import annotations

import copy
import gc
import re
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any, TypeVar, cast

from sqlalchemy import Column, FetchedValue, MetaData, Table, inspect, text
from sqlalchemy import types as sqltypes
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.engine.reflection import Inspector
from sqlalchemy.exc import SAWarning
from sqlalchemy.types import NullType, TypeDecorator, TypeEngine

from chrono_cli.db import facts as catalog_facts
from chrono_cli.db import pgcatalog
from chrono_cli.db.triggers import TriggerInfo
from chrono_cli.model import TableRef
from chrono_cli.records import Struct, field

SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "pg_toast", "mysql", "performance_schema",
                            "sys"})

T = TypeVar("T")


class ColumnInfo(Struct, frozen=True):
    """A reflected column."""

    name: str
    type: TypeEngine[Any]
    nullable: bool
    default: str | None = None


class IndexInfo(Struct, frozen=True):
    """A reflected index or unique constraint."""

    name: str | None
    columns: tuple[str, ...]
    unique: bool


class ForeignKeyInfo(Struct, frozen=True):
    """A reflected foreign key."""

    name: str | None
    columns: tuple[str, ...]
    referred: TableRef
    referred_columns: tuple[str, ...]


class StoredDecimal(TypeDecorator[Decimal]):
    """SQLite NUMERIC without a declared scale: a value reads back as the application stored it.

    SQLite keeps such a value as a float (or an integer); SQLAlchemy's Numeric would give it ten decimal places
    (``3.3300000000``, ``0E-10``). The shortest text that round-trips the float (``3.33``) is what was stored.
    """

    impl = sqltypes.Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(sqltypes.Numeric(asdecimal=False))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None or isinstance(value, Decimal):
            return value
        if isinstance(value, float):
            return Decimal(repr(value))
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return value  # text that is no number: shown as stored


_JSON_VALID = re.compile(r"""json_valid\s*\(\s*[`"\[]?(\w+)[`"\]]?\s*\)""", re.IGNORECASE)


def json_columns(check_clauses: Iterable[str]) -> set[str]:
    """Columns that CHECK constraints require to hold valid JSON (``json_valid(col)``)."""
    return {m.group(1) for clause in check_clauses for m in _JSON_VALID.finditer(clause or "")}


def _checks(conn: Connection, insp: Inspector, kw: dict[str, Any]) -> dict[str, list[str]]:
    """CHECK clauses per table where a JSON column is text with a json_valid check (SQLite: Django's JSONField;
    MariaDB: every JSON column). Elsewhere JSON columns reflect as JSON."""
    out: dict[str, list[str]] = {}
    if conn.dialect.name == "sqlite":
        for (_, name), checks in insp.get_multi_check_constraints(**kw).items():
            out[name] = [c.get("sqltext") or "" for c in checks]
    elif conn.dialect.name == "mysql" and getattr(conn.dialect, "is_mariadb", False):
        sql = resources.files("chrono_cli.db").joinpath("sql", "mariadb_json_checks.sql").read_text(encoding="utf-8")
        for name, clause in conn.execute(text(sql), {"schema": kw.get("schema")}):
            out.setdefault(name, []).append(clause)
    return out


def _value_type(t: TypeEngine[Any] | None, is_json: bool) -> TypeEngine[Any]:
    if t is None:
        return NullType()
    if is_json and isinstance(t, sqltypes.String):
        return sqltypes.JSON(none_as_null=True)  # SQL NULL stays NULL; the JSON text is parsed
    return t


class StoredBoolean(TypeDecorator[Any]):
    """MariaDB/MySQL BOOLEAN, which is TINYINT(1): 0 and 1 read as false and true, any other number as stored."""

    impl = sqltypes.Integer
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return bool(value) if value in (0, 1) and not isinstance(value, bool) else value


def read_type(t: TypeEngine[Any], dialect: str) -> TypeEngine[Any]:
    """The type values are read with: the reflected one, except SQLite's scale-less NUMERIC, MariaDB's BOOLEAN
    (TINYINT(1)) and floats reflected as decimals (MariaDB's DOUBLE)."""
    if dialect == "sqlite" and isinstance(t, sqltypes.Numeric) and not isinstance(t, sqltypes.Float) \
            and t.asdecimal and getattr(t, "scale", None) is None:
        return StoredDecimal()
    if dialect == "mysql" and type(t).__name__ == "TINYINT" and getattr(t, "display_width", None) == 1:
        return StoredBoolean()
    if isinstance(t, sqltypes.Float) and t.asdecimal:  # MariaDB DOUBLE: a binary float, not a decimal
        return sqltypes.Float(asdecimal=False)
    return bound_type(t)


def bound_type(t: TypeEngine[Any]) -> TypeEngine[Any]:
    """The type values are written with: a JSON column's None binds SQL NULL, as Rails, Django and COPY staging
    write a missing value, not the JSON text ``null`` (SQLAlchemy's default). Reading gives None for both, so
    which one a row held is not known; NULL is what a column without a value holds."""
    if isinstance(t, sqltypes.JSON) and not t.none_as_null:
        bound = copy.copy(t)
        bound.none_as_null = True
        return bound
    return t


class TableInfo(Struct):
    """Everything the catalog says about one table."""

    ref: TableRef
    columns: dict[str, ColumnInfo]
    pk: tuple[str, ...]
    indexes: tuple[IndexInfo, ...] = ()
    foreign_keys: tuple[ForeignKeyInfo, ...] = ()
    triggers: tuple[TriggerInfo, ...] = ()  # read when a convention asks for the "triggers" fact
    facts: dict[str, Any] = field(default_factory=dict)  # other catalog facts conventions asked for (db/facts.py)
    dialect: str = ""
    _table: Table | None = None
    _insert: Table | None = None

    def column_names(self) -> list[str]:
        return list(self.columns)

    def has(self, *names: str) -> bool:
        return all(n in self.columns for n in names)

    def unique_sets(self) -> list[tuple[str, ...]]:
        """Column sets that must be unique (unique constraints and unique indexes)."""
        return [ix.columns for ix in self.indexes if ix.unique]

    def table(self) -> Table:
        """A SQLAlchemy Table built from the snapshot (no further reflection)."""
        if self._table is None:
            md = MetaData()
            cols = [Column(c.name, read_type(c.type, self.dialect), primary_key=c.name in self.pk,
                           nullable=c.nullable, autoincrement=False)
                    for c in self.columns.values()]
            self._table = Table(self.ref.name, md, *cols, schema=self.ref.schema)
        return self._table

    def insert_table(self) -> Table:
        """The table for INSERTs, built once: columns with a server default (serial ids) may be left out."""
        if self._insert is None:
            cols = []
            for c in self.columns.values():
                generated = c.default is not None or (self.pk == (c.name,) and isinstance(c.type, sqltypes.Integer))
                cols.append(Column(c.name, bound_type(c.type), primary_key=c.name in self.pk, nullable=c.nullable,
                                   autoincrement=False, server_default=FetchedValue() if generated else None))
            self._insert = Table(self.ref.name, MetaData(), *cols, schema=self.ref.schema, implicit_returning=False)
        return self._insert


class SchemaSnapshot(Struct):
    """The reflected tables of the schemas chrono looks at."""

    dialect: str
    default_schema: str | None
    tables: dict[TableRef, TableInfo]
    complete: bool = True
    sequences: frozenset[TableRef] | None = None  # None: the "sequences" fact was not asked for
    # what readers looked up beyond these tables through the same connection (a users table, a schema's relation
    # names), kept for as long as the snapshot: a timeline read a page at a time asks once, not once a page
    lookups: dict[Any, Any] = field(default_factory=dict)

    def __iter__(self) -> Iterator[TableInfo]:
        return iter(self.tables.values())

    def get(self, ref: TableRef) -> TableInfo | None:
        return self.tables.get(ref)

    def remember(self, key: Any, find: Callable[[], T]) -> T:
        """``find()``, asked once for this snapshot (see ``lookups``)."""
        if key not in self.lookups:
            self.lookups[key] = find()
        found: T = self.lookups[key]
        return found

    def sibling(self, ref: TableRef, name: str) -> TableInfo | None:
        """The table called ``name`` in the same schema as ``ref``."""
        return self.tables.get(TableRef(ref.schema, name))

    def named(self, name: str) -> list[TableInfo]:
        """Tables called ``name`` in any reflected schema."""
        return [t for t in self.tables.values() if t.ref.name == name]

    @classmethod
    def from_tables(cls, tables: Iterable[Table], dialect: str = "sqlite") -> SchemaSnapshot:
        """Build a snapshot from SQLAlchemy Table objects (unit tests, no database)."""
        out: dict[TableRef, TableInfo] = {}
        for t in tables:
            ref = TableRef(t.schema, t.name)
            cols = {c.name: ColumnInfo(c.name, c.type, bool(c.nullable)) for c in t.columns}
            idx = [IndexInfo(i.name, tuple(c.name for c in i.columns), bool(i.unique)) for i in t.indexes]
            for c in t.columns:
                if c.unique:
                    idx.append(IndexInfo(None, (c.name,), True))
            fks = [ForeignKeyInfo(str(fk.name) if fk.name else None, tuple(e.parent.name for e in fk.elements),
                                  TableRef(fk.referred_table.schema, fk.referred_table.name),
                                  tuple(e.column.name for e in fk.elements))
                   for fk in t.foreign_key_constraints]
            out[ref] = TableInfo(ref, cols, tuple(c.name for c in t.primary_key.columns), tuple(idx),
                                 tuple(fks))
        return cls(dialect, None, out)


def default_schema(conn: Connection) -> str | None:
    """The schema unqualified names resolve to; None where chrono shows names unqualified."""
    if conn.dialect.name == "postgresql":
        return inspect(conn).default_schema_name
    return None


def search_path(conn: Connection) -> list[str | None]:
    """Schemas the connection resolves names in (PostgreSQL search_path; the default elsewhere)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy import text

        rows = conn.execute(text("SELECT unnest(current_schemas(false))")).scalars().all()
        return list(rows) or [inspect(conn).default_schema_name]
    return [None]


def has_sequence(conn: Connection, name: str, schema: str | None) -> bool:
    """Whether the database has the sequence ``name`` (MariaDB 10.3+ keeps Continuum's transaction ids there)."""
    try:
        return bool(inspect(conn).has_sequence(name, schema=schema))
    except NotImplementedError:
        return False


def table_names(conn: Connection, schemas: Sequence[str | None]) -> dict[str | None, list[str]]:
    """Table names per schema: one cheap catalog query each."""
    insp = inspect(conn)
    return {s: insp.get_table_names(schema=s) for s in schemas}


def relation_names(conn: Connection, schema: str | None) -> frozenset[str]:
    """The names of one schema's tables and views (what ``Inspector.has_table`` answers for): two catalog queries."""
    insp = inspect(conn)
    return frozenset(insp.get_table_names(schema=schema)) | frozenset(insp.get_view_names(schema=schema))


def other_schemas(conn: Connection, known: Collection[str | None]) -> list[str]:
    """Non-system schemas not already in ``known`` (PostgreSQL; empty elsewhere)."""
    if conn.dialect.name != "postgresql":
        return []
    names = inspect(conn).get_schema_names()
    return [s for s in names if s not in known and s not in SYSTEM_SCHEMAS and not s.startswith("pg_")]


def reflect(conn: Connection, names_by_schema: dict[str | None, Collection[str] | None],
            facts: Collection[str] = (catalog_facts.TRIGGERS,)) -> SchemaSnapshot:
    """Reflect the given tables (None = every table of the schema) in a few bulk catalog queries per schema.

    ``facts`` are the catalog facts beyond tables and columns to read as well (see ``chrono_cli.db.facts``).
    """
    with gc_paused():
        return _reflect(conn, names_by_schema, facts)


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while many objects are built that are kept, not garbage (the catalog of
    4,000 tables, a change set of 100,000 rows): it would scan the growing heap again and again (half the CPU
    time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _reflect(conn: Connection, names_by_schema: dict[str | None, Collection[str] | None],
             facts: Collection[str]) -> SchemaSnapshot:
    insp: Inspector = inspect(conn)
    tables: dict[TableRef, TableInfo] = {}
    complete = True
    for schema, names in names_by_schema.items():
        if names is not None:
            complete = False
            if not names:
                continue
        sqlite = conn.dialect.name == "sqlite"
        kw: dict[str, Any] = {"schema": schema}
        if names is not None:
            kw["filter_names"] = list(names)
        with warnings.catch_warnings():  # MariaDB's PERIOD FOR SYSTEM_TIME clause: the "system-versioning" fact
            warnings.filterwarnings("ignore", message="Unknown schema content", category=SAWarning)
            # xid8 (postgresql-audit's native_transaction_id): no SQLAlchemy type, read as text
            warnings.filterwarnings("ignore", message="Did not recognize type 'xid8'", category=SAWarning)
            if schema is not None and pgcatalog.supported(conn):
                columns, pks, indexes, uniques, fks = pgcatalog.read(conn, insp, schema, names)
            else:
                columns, pks, indexes, uniques, fks = inspected(insp, kw, sqlite)
        checks = _checks(conn, insp, kw)
        for (sch, name), cols in columns.items():
            ref = TableRef(schema, name)
            json_cols = json_columns(checks.get(name, ()))
            info_cols = {c["name"]: ColumnInfo(c["name"], _value_type(c["type"], c["name"] in json_cols),
                                               bool(c.get("nullable", True)),
                                               None if c.get("default") is None else str(c["default"]))
                         for c in cols}
            key = (sch, name)
            pk_info: dict[str, Any] = dict(pks.get(key) or {})
            pk = tuple(pk_info.get("constrained_columns") or ())
            idx = [IndexInfo(i.get("name"), tuple(x for x in i["column_names"] if x), bool(i.get("unique")))
                   for i in indexes.get(key, [])]
            idx += [IndexInfo(u.get("name"), tuple(u["column_names"]), True) for u in uniques.get(key, [])]
            if sqlite:
                idx = _without_auto_duplicates(idx, pk)
            # SQLAlchemy names no schema for a table on PostgreSQL's search path (and then this table's own,
            # wrongly, when this table is outside it); the direct catalog read knows where the table is
            fk = [ForeignKeyInfo(f.get("name"), tuple(f["constrained_columns"]),
                                 TableRef(f.get("referred_schema_found") or f.get("referred_schema") or schema,
                                          f["referred_table"]),
                                 tuple(f["referred_columns"]))
                  for f in fks.get(key, [])]
            tables[ref] = TableInfo(ref, info_cols, pk, tuple(idx), tuple(fk), dialect=conn.dialect.name)
    default = default_schema(conn)
    catalog_facts.read(conn, tables, default, facts)
    seqs = catalog_facts.sequences(conn, list(names_by_schema)) if catalog_facts.SEQUENCES in facts else None
    return SchemaSnapshot(conn.dialect.name, default, tables, complete, seqs)


def inspected(insp: Inspector, kw: dict[str, Any], sqlite: bool) -> pgcatalog.Parts:
    """Columns, primary keys, indexes, unique constraints and foreign keys by SQLAlchemy's reflection."""
    columns = insp.get_multi_columns(**kw)
    pks = insp.get_multi_pk_constraint(**kw)
    # SQLite: a column-level UNIQUE exists only as an automatic index (its primary key's index is dropped below)
    indexes = insp.get_multi_indexes(**kw, include_auto_indexes=True) if sqlite else insp.get_multi_indexes(**kw)
    uniques = insp.get_multi_unique_constraints(**kw)
    fks = insp.get_multi_foreign_keys(**kw)
    return cast(pgcatalog.Parts, (columns, pks, indexes, uniques, fks))  # SQLAlchemy's TypedDicts are dicts


def _without_auto_duplicates(idx: list[IndexInfo], pk: tuple[str, ...]) -> list[IndexInfo]:
    """SQLite's automatic indexes, minus the primary key's and those a named unique constraint already lists."""
    named = {i.columns for i in idx if i.unique and not (i.name or "").startswith("sqlite_autoindex_")}
    return [i for i in idx if not (i.name or "").startswith("sqlite_autoindex_")
            or (set(i.columns) != set(pk) and i.columns not in named)]
