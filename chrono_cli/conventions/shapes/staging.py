"""The staging table of a set-based restore, filled fast, and the one-query check that the plan still holds.

The table holds the target rows: the key, the restored columns, ``chrono_absent`` (the live row is gone and is
re-inserted) and, where every live column can be compared in SQL, the live row as the plan saw it
(``chrono_was_<n>``, one per live column). PostgreSQL fills it with ``COPY`` (the rows are encoded once, in
memory, before the COPY starts: a value with no exact text form falls back to batched INSERTs); MariaDB and SQLite
with batched multi-row INSERTs. The check locks the staged live rows and compares them with what the plan saw in
one query, returning only the keys and a changed flag.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    MetaData,
    Table,
    and_,
    case,
    cast,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import DropTable
from sqlalchemy.sql.compiler import DDLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from chrono_cli.conventions.types import is_json
from chrono_cli.conventions.writes.base import WriteContext
from chrono_cli.db.reflect import bound_type

ABSENT = "chrono_absent"
STAGE = "chrono_stage"
WAS = "chrono_was_"  # + the live column's position
SEEN = "chrono_seen"  # a planned-in-SQL row's fingerprint (bulk_plan)
KEPT = "chrono_kept"  # Table.info: restored columns no restored row changes (``bulk.update_live`` leaves them out)
BATCH = 5000  # staged rows per INSERT where there is no COPY

_COMPARABLE = (
    sqltypes.Integer,
    sqltypes.Numeric,
    sqltypes.String,
    sqltypes.Boolean,
    sqltypes.Date,
    sqltypes.DateTime,
    sqltypes.Time,
    sqltypes.Uuid,
    sqltypes.LargeBinary,
    sqltypes.Interval,
)


@compiles(DropTable, "mysql")
@compiles(DropTable, "mariadb")
def _drop_temporary(element: DropTable, compiler: DDLCompiler, **kw: Any) -> str:
    """``DROP TEMPORARY TABLE`` for a staging table on MariaDB: a plain ``DROP TABLE`` commits the transaction there
    (even of a temporary table), so the rest of a write, or a failing before-commit hook, could no longer roll back
    what was written before it."""
    if "TEMPORARY" in element.element._prefixes:
        return "\nDROP TEMPORARY TABLE " + compiler.preparer.format_table(element.element)
    return str(compiler.visit_drop_table(element, **kw))  # type: ignore[no-untyped-call]


# SQLite stores times, decimals and uuids as text SQLAlchemy writes its own way: a copy may differ from the original
_SQLITE_COMPARABLE = (sqltypes.Integer, sqltypes.Float, sqltypes.String, sqltypes.Boolean, sqltypes.LargeBinary)


def comparable(ctx: WriteContext) -> bool:
    """Every live column can be compared in SQL with a staged copy of its value (JSON only as PostgreSQL's jsonb)."""
    return all(compared(ctx, c.type) for c in ctx.live_info.columns.values())


def compared(ctx: WriteContext, t: TypeEngine[Any]) -> bool:
    """Values of type ``t`` compare in SQL as chrono compares them in Python."""
    dialect = ctx.conn.dialect.name
    kinds = _SQLITE_COMPARABLE if dialect == "sqlite" else _COMPARABLE
    return (is_json(t) and dialect == "postgresql") or (isinstance(t, kinds) and not is_json(t))


def staging(ctx: WriteContext, columns: Sequence[str], name: str = STAGE, *, was: bool = False,
            seen: bool = False, kept: Sequence[str] = ()) -> Table:
    """The temporary table of target rows: the key, ``columns`` (live types), the re-insert flag, with ``was``
    the live row as the plan saw it, with ``seen`` each row's fingerprint (``bulk_plan``); ``kept``: columns of
    ``columns`` no restored row changes (noted in the table's ``info``)."""
    info = ctx.live_info
    keyed = not seen or ctx.conn.dialect.name != "postgresql"  # PostgreSQL hash-joins an unindexed stage faster
    cols = [Column(c, info.columns[c].type, primary_key=keyed) for c in ctx.det.key]
    cols += [Column(c, bound_type(info.columns[c].type), nullable=True) for c in columns if c not in ctx.det.key]
    cols.append(Column(ABSENT, Boolean, nullable=False))
    if was:
        cols += [Column(f"{WAS}{n}", c.type, nullable=True) for n, c in enumerate(info.columns.values())]
    if seen:
        cols.append(Column(SEEN, sqltypes.Text, nullable=True))
    return Table(name, MetaData(), *cols, prefixes=["TEMPORARY"], info={KEPT: tuple(kept)})


def empty(ctx: WriteContext, columns: Sequence[str], *, seen: bool = False, kept: Sequence[str] = ()) -> Table:
    """Create an empty staging table under a name unique to this run (see ``stage``)."""
    table = staging(ctx, columns, _unique(), seen=seen, kept=kept)
    table.create(ctx.conn)
    return table


def keyed(ctx: WriteContext, keys: Sequence[tuple[Any, ...]]) -> Table:
    """A temporary table of ``keys`` (the live key columns), created and filled."""
    info = ctx.live_info
    table = Table(_unique(), MetaData(), *(Column(c, info.columns[c].type, primary_key=True) for c in ctx.det.key),
                  prefixes=["TEMPORARY"])
    table.create(ctx.conn)
    dialect = ctx.conn.dialect
    statement = insert(table).compile(dialect=dialect)
    if statement.positional and statement.positiontup == list(ctx.det.key) and all(
            c.type.dialect_impl(dialect).bind_processor(dialect) is None for c in table.columns):
        # values the driver takes as they are (integer or text keys): its executemany, several times cheaper than
        # SQLAlchemy's for 100,000 keys; the SQL is the statement SQLAlchemy compiled
        ctx.conn.exec_driver_sql(str(statement), list(keys))
        return table
    batch = insert(table).execution_options(insertmanyvalues_page_size=BATCH)
    for i in range(0, len(keys), BATCH):
        ctx.conn.execute(batch, [dict(zip(ctx.det.key, k, strict=True)) for k in keys[i:i + BATCH]])
    return table


def _unique() -> str:
    return f"{STAGE}_{uuid.uuid4().hex[:12]}"


def stage(
    ctx: WriteContext,
    columns: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    *,
    was: bool = False,
    kept: Sequence[str] = (),
    done: Callable[[int], None] | None = None,
) -> Table:
    """Create the staging table (a name unique to this run: MariaDB keeps a failed run's temporary table for the
    session) and fill it with ``rows``, tuples in the column order of ``staging(..., was=True)``; ``kept`` as for
    ``staging``; ``done`` hears how many are staged. On PostgreSQL the live row as seen is staged only by COPY
    (psycopg2 reads 'infinity' as 9999-12-31, which only COPY writes back as it was): without COPY it is left out
    and compared in Python."""
    name = _unique()
    table = staging(ctx, columns, name, was=was, kept=kept)
    copied = _encoded(table, rows) if ctx.conn.dialect.name == "postgresql" else None
    if copied is None and was and ctx.conn.dialect.name == "postgresql":
        table = staging(ctx, columns, name, kept=kept)
    table.create(ctx.conn)
    if copied is not None:
        _copy(ctx, table, copied)
        if done:
            done(len(rows))
        return table
    names = list(table.columns.keys())
    width = len(names)
    batch = insert(table).execution_options(insertmanyvalues_page_size=BATCH)
    for i in range(0, len(rows), BATCH):
        ctx.conn.execute(batch, [dict(zip(names, r[:width], strict=True)) for r in rows[i : i + BATCH]])
        if done:
            done(min(i + BATCH, len(rows)))
    return table


def changed(
    ctx: WriteContext,
    table: Table,
    seen: Mapping[tuple[Any, ...], tuple[Any, ...] | None],
) -> list[tuple[Any, ...]]:
    """Lock the live rows of the staged keys (FOR UPDATE) and return the keys whose live row is not the one the
    plan saw (``seen``: key -> live row tuple, None where it was gone): in SQL where the table has ``was``
    columns, else row by row in Python."""
    live = ctx.live
    keys = [live.c[c] for c in ctx.det.key]
    on = and_(*(live.c[c] == table.c[c] for c in ctx.det.key))
    width = len(keys)
    if f"{WAS}0" not in table.c:
        rows = ctx.conn.execute(select(*keys, *live.columns).select_from(live.join(table, on)).with_for_update(of=live))
        found = {tuple(r[:width]): tuple(r[width:]) for r in rows}
        return [k for k, row in seen.items() if found.get(k) != row]
    dialect = ctx.conn.dialect.name
    same = and_(*(same_value(c, table.c[f"{WAS}{n}"], dialect) for n, c in enumerate(live.columns)))
    differs = case((or_(table.c[ABSENT], ~same), true()), else_=false())
    found_rows = ctx.conn.execute(select(*keys, differs).select_from(live.join(table, on)).with_for_update(of=live))
    differ = {tuple(r[:width]): bool(r[width]) for r in found_rows}
    return [k for k, row in seen.items() if (k in differ) != (row is not None) or differ.get(k)]


def same_value(live: Any, was: Any, dialect: str) -> ColumnElement[bool]:
    """``live`` holds the value ``was`` holds, exactly (bytes for MariaDB's text, jsonb for PostgreSQL's json)."""
    if dialect == "postgresql" and is_json(live.type):
        # json has no equality operator; JSON null and SQL NULL both read as None, so a plan that saw one of them
        # is satisfied by either
        null = cast(literal("null", sqltypes.Text), JSONB)
        return func.coalesce(cast(live, JSONB), null).is_not_distinct_from(func.coalesce(cast(was, JSONB), null))
    if dialect in ("mysql", "mariadb") and isinstance(live.type, sqltypes.String):
        # byte for byte: a _ci collation would call 'a' and 'A' (or 'a' and 'a ') the same
        return cast(live, sqltypes.LargeBinary).is_not_distinct_from(cast(was, sqltypes.LargeBinary))
    return live.is_not_distinct_from(was)  # type: ignore[no-any-return]


def _encoded(table: Table, rows: Iterable[tuple[Any, ...]]) -> io.StringIO | None:
    """``rows`` in COPY text format, or None when a value has no exact text form."""
    encoders = [_encoder(c.type) for c in table.columns]
    if any(e is None for e in encoders):
        return None
    buf = io.StringIO()
    try:
        for row in rows:
            buf.write("\t".join([_NULL if v is None else e(v) for e, v in zip(encoders, row, strict=True)]))  # type: ignore[misc]
            buf.write("\n")
    except _NoText:
        return None
    buf.seek(0)
    return buf


def _copy(ctx: WriteContext, table: Table, buf: io.StringIO) -> None:
    from psycopg2 import extensions

    raw = ctx.conn.connection.dbapi_connection
    quote = ctx.conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c.name) for c in table.columns)
    waiting = extensions.get_wait_callback()
    extensions.set_wait_callback(None)  # COPY is refused under a wait callback (see db/interrupt.py)
    try:
        with raw.cursor() as cur:  # type: ignore[union-attr]
            # identifiers of the table chrono just created, quoted; the values travel as COPY data
            cur.copy_expert(f"COPY {quote(table.name)} ({names}) FROM STDIN", buf)
    finally:
        extensions.set_wait_callback(waiting)


class _NoText(Exception):
    """A value with no exact COPY text form."""


_NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _encoder(t: TypeEngine[Any]) -> Callable[[Any], str] | None:
    """How a column's values are written in COPY text format, or None (no exact form: use INSERT)."""
    if is_json(t):  # as SQLAlchemy's JSON type writes a bound value (json.dumps): a json column keeps that text
        return lambda v: json.dumps(v).translate(_ESCAPES)
    if isinstance(t, sqltypes.ARRAY | sqltypes.NullType):
        return None
    if isinstance(t, _COMPARABLE):
        return _text
    return None


def _text(v: Any) -> str:
    kind = type(v)
    if kind is str:
        if "\\" in v or "\t" in v or "\n" in v or "\r" in v:
            return v.translate(_ESCAPES)  # type: ignore[no-any-return]
        return v  # type: ignore[no-any-return]
    if kind is bool:
        return "t" if v else "f"
    if kind is int or kind is Decimal:
        return str(v)
    if kind is float:
        return repr(v)
    if kind is datetime or kind is date:
        bare = v.replace(tzinfo=None) if kind is datetime else v
        if bare == kind.max or bare == kind.min:  # psycopg2's reading of 'infinity' / '-infinity'
            return "infinity" if bare == kind.max else "-infinity"
        return v.isoformat()  # type: ignore[no-any-return]
    if kind is time:
        return v.isoformat()  # type: ignore[no-any-return]
    if kind is uuid.UUID:
        return str(v)
    if kind is bytes or kind is memoryview or kind is bytearray:
        return "\\\\x" + bytes(v).hex()
    if kind is timedelta:
        return f"{v.days} days {v.seconds} seconds {v.microseconds} microseconds"
    raise _NoText(kind.__name__)
