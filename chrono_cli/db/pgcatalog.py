"""PostgreSQL's catalog read directly: columns, keys and indexes of a whole schema in three queries.

What SQLAlchemy's ``get_multi_*`` reflection returns, in the same shape, for the parts a snapshot keeps; most
of its cost is parsing every column's type anew, here parsed once per distinct ``format_type()`` text. A
table with a type this module does not parse the way SQLAlchemy would (an enum, a domain, an unknown type,
a column collation) has its columns reflected by SQLAlchemy instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from importlib import resources
from typing import Any, cast

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.engine.reflection import Inspector
from sqlalchemy.sql.base import SchemaEventTarget
from sqlalchemy.types import String, TypeEngine

Key = tuple[str | None, str]  # (schema, table), as SQLAlchemy's reflection keys its answers
Rows = dict[Key, list[dict[str, Any]]]
Parts = tuple[Rows, dict[Key, dict[str, Any]], Rows, Rows, Rows]  # columns, pks, indexes, uniques, fks

_ARGS = re.compile(r"\((.*)\)")
_ARGS_DELIM = re.compile(r"\s*,\s*")
_ARRAY_DIMS = re.compile(r"((?:\[\])*)$")
_NEXTVAL = re.compile(r"""(nextval\(')([^']+)('.*$)""")
_TYPES: dict[str, Callable[[], TypeEngine[Any]] | None] = {}  # format_type text -> a maker; None: SQLAlchemy's


def supported(conn: Connection) -> bool:
    """Whether the server's catalog has what the queries read (``attgenerated``: PostgreSQL 12)."""
    version = conn.dialect.server_version_info
    return conn.dialect.name == "postgresql" and version is not None and version >= (12,)


def _sql(name: str) -> str:
    return resources.files("chrono_cli.db").joinpath("sql", name).read_text(encoding="utf-8")


def read(conn: Connection, insp: Inspector, schema: str, names: Collection[str] | None) -> Parts:
    """Columns, primary keys, indexes, unique constraints and foreign keys of ``schema``'s tables (None: all), as
    SQLAlchemy's ``get_multi_columns``, ``..._pk_constraint``, ``..._indexes``, ``..._unique_constraints`` and
    ``..._foreign_keys`` give them (keyed by (schema, table); the keys chrono reads)."""
    from sqlalchemy.dialects.postgresql import ARRAY  # only on PostgreSQL: the dialect package is heavy to import

    params = {"schema": schema, "all_tables": names is None, "names": sorted(names or ())}

    def query(name: str) -> Any:
        stmt = text(_sql(name)).bindparams(bindparam("names", type_=ARRAY(String)))
        return conn.execute(stmt, params)

    columns = _columns(query("pg_columns.sql"), insp, schema)
    pks: dict[Key, dict[str, Any]] = {key: {"constrained_columns": [], "name": None} for key in columns}
    uniques: Rows = {key: [] for key in columns}
    fks: Rows = {key: [] for key in columns}
    for row in query("pg_keys.sql"):
        key = (schema, row.table_name)
        if key not in columns:  # created since the columns were read (each query sees its own moment)
            continue
        if row.kind == "p":
            pks[key] = {"constrained_columns": list(row.columns), "name": row.name}
        elif row.kind == "u":
            uniques[key].append({"name": row.name, "column_names": list(row.columns)})
        else:  # SQLAlchemy names the referred schema when the table is not on the search path or in this schema
            named = not row.referred_visible or row.referred_schema == schema
            fks[key].append({"name": row.name, "constrained_columns": list(row.columns),
                             "referred_schema": row.referred_schema if named else None,
                             "referred_schema_found": row.referred_schema,  # where the table really is
                             "referred_table": row.referred_table, "referred_columns": list(row.referred_columns)})
    indexes: Rows = {key: [] for key in columns}
    for row in query("pg_indexes.sql"):
        if (schema, row.table_name) in indexes:
            indexes[(schema, row.table_name)].append({"name": row.name, "unique": row.is_unique,
                                                      "column_names": list(row.columns)})
    return columns, pks, indexes, uniques, fks


def _columns(rows: Any, insp: Inspector, schema: str) -> Rows:
    out: Rows = {}
    elsewhere: list[str] = []  # tables with a type only SQLAlchemy's reflection reads right
    cols: list[dict[str, Any]] = []
    table = None
    # in SQLAlchemy's order: by table name (Python's order of str is the "C" order of names), then position
    for name, _, column, format_type, not_null, default, generated, own_collation in sorted(
            rows, key=lambda r: (r[0], r[1] or 0)):
        if name != table:
            table, cols = name, out.setdefault((schema, name), [])
        if column is None:
            continue
        make = None if own_collation else column_type(format_type)
        if make is None:
            if not elsewhere or elsewhere[-1] != name:
                elsewhere.append(name)
            continue
        if generated:  # a generated column: its expression is no default
            default = None
        elif default is not None:
            match = _NEXTVAL.search(default)
            if match is not None and "." not in match.group(2):  # as SQLAlchemy writes a sequence's name
                default = f'{match.group(1)}"{schema}".{match.group(2)}{match.group(3)}'
        cols.append({"name": column, "type": make(), "nullable": not not_null, "default": default})
    if elsewhere:
        out.update(cast(Rows, insp.get_multi_columns(schema=schema, filter_names=elsewhere)))
    return out


def column_type(format_type: str | None) -> Callable[[], TypeEngine[Any]] | None:
    """A maker of the type SQLAlchemy reflects for ``format_type`` (built once per text; a fresh one each call
    for the types that attach to their column), or None where only SQLAlchemy's own reflection knows it."""
    if format_type is None:
        return None
    if format_type not in _TYPES:
        _TYPES[format_type] = _maker(format_type)
    return _TYPES[format_type]


def _maker(format_type: str) -> Callable[[], TypeEngine[Any]] | None:
    """SQLAlchemy's PGDialect._reflect_type for the types its ``ischema_names`` lists (no enum, no domain)."""
    from sqlalchemy.dialects.postgresql import ARRAY, INTERVAL
    from sqlalchemy.dialects.postgresql.base import PGDialect

    found = _ARGS.search(format_type)
    type_args = _ARGS_DELIM.split(found.group(1)) if found and found.group(1) else []
    dims = _ARRAY_DIMS.search(format_type)
    array = bool(dims and dims.group(1))
    name = _ARRAY_DIMS.sub("", _ARGS.sub("", format_type))
    cls: Any = PGDialect.ischema_names.get(name.lower())
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = {}
    if name == "numeric":
        if len(type_args) == 2:
            args = tuple(map(int, type_args))
    elif name == "double precision":
        args = (53,)
    elif name == "integer":
        pass
    elif name in ("timestamp with time zone", "time with time zone", "timestamp without time zone",
                  "time without time zone", "time"):
        kwargs["timezone"] = name.endswith("with time zone")
        if len(type_args) == 1:
            kwargs["precision"] = int(type_args[0])
    elif name == "bit varying":
        kwargs["varying"] = True
        if len(type_args) == 1:
            args = (int(type_args[0]),)
    elif name == "interval" or name.startswith("interval "):
        cls = INTERVAL
        if name != "interval":
            kwargs["fields"] = name[len("interval "):]
        if len(type_args) == 1:
            kwargs["precision"] = int(type_args[0])
    elif cls is not None:
        try:
            args = (int(type_args[0]), *type_args[1:])
        except (ValueError, IndexError):
            args = tuple(type_args)
    if cls is None:
        return None  # an enum, a domain or an unknown type

    def make() -> TypeEngine[Any]:
        made = cls(*args, **kwargs)
        return ARRAY(made) if array else made

    if array or issubclass(cls, SchemaEventTarget):
        return make  # a type that attaches to its column: one per column, as reflection makes them
    shared = make()
    return lambda: shared
