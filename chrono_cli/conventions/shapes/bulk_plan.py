"""A set-based restore planned by the database, for conventions whose states at a time are one SELECT of the store's
own columns (``BulkWriter.state_query``) and ``--all-changed-since``.

One query joins the keys changed since S with their states at T and their live rows and returns, per key, its class
(restore, re-create, or why it is skipped), whether a restored NULL meets a NOT NULL column, and for the rows to
write a fingerprint: the live row and the state as one exact text the database prints (``row_text``). Only the
rows a plan shows are read whole. The write stages the same rows with one ``INSERT ... SELECT`` that locks
the live rows (re-created rows in a second one, only when the plan has any) and stores each fingerprint beside
them, so the check that the plan still holds is one read of the staging table compared with the plan's.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from datetime import datetime
from functools import reduce
from typing import Any

from sqlalchemy import Table, and_, case, cast, false, func, insert, literal, not_, or_, select, true, tuple_, union
from sqlalchemy import types as sqltypes
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from chrono_cli.conventions.shapes.bulk import GONE, BulkWriter
from chrono_cli.conventions.shapes.staging import ABSENT, SEEN, compared, same_value
from chrono_cli.conventions.writes.base import WriteContext
from chrono_cli.records import Struct

RESTORE, RECREATE, ABSENT_BOTH, UNCHANGED, CREATED_LATER, SAME = range(6)  # the rows to write come first


def usable(writer: BulkWriter, ctx: WriteContext, at: datetime, columns: Sequence[str]) -> bool:
    """The database can plan this restore: the states are one SELECT, every restored value is read from a store
    column of the live column's own type (so only a NULL can have stopped fitting) and compares exactly in SQL."""
    if writer.state_query(ctx, at) is None:
        return False
    stored, live = writer.fits_as_stored(ctx), ctx.live_info.columns
    return all(c in stored and compared(ctx, live[c].type) for c in columns)


class Joined(Struct, frozen=True):
    """The keys changed since S, outer-joined with their states at T and their live rows."""

    keys: Subquery
    states: Subquery
    live: Table
    on_state: ColumnElement[bool]
    on_live: ColumnElement[bool]
    columns: tuple[str, ...]
    ctx: WriteContext

    def same(self, c: str) -> ColumnElement[bool]:
        return same_value(self.live.c[c], self.states.c[c], self.ctx.conn.dialect.name)

    def new(self) -> list[Any]:
        """The restored values: what is stored stays where the state holds the same value."""
        return [case((self.same(c), self.live.c[c]), else_=self.states.c[c]) for c in self.columns]

    def differs(self) -> ColumnElement[bool]:
        return or_(false(), *(not_(self.same(c)) for c in self.columns))

    def gone(self) -> ColumnElement[bool]:
        return self.states.c[GONE].is_(True) if GONE in self.states.c else false()

    def fingerprint(self, present: bool = True) -> ColumnElement[Any]:
        """The live row (NULLs: gone) and the state's values, as one text."""
        live = [c if present else literal(None, c.type) for c in self.live.columns]
        return row_text(self.ctx.conn.dialect, [*live, *(self.states.c[c] for c in self.columns)])


def joined(writer: BulkWriter, ctx: WriteContext, at: datetime, since: datetime, columns: Sequence[str], *,
           few: bool = False) -> Joined:
    """The joined sources; ``few``: the states in the form cheap for a few keys."""
    query = writer.state_query(ctx, at, few=few)
    assert query is not None
    keys = writer.changed_since(ctx, since).subquery("chrono_keys")
    states = query.subquery("chrono_states")
    live, names = ctx.live, ctx.det.key
    return Joined(keys, states, live, and_(*(states.c[n] == k for n, k in zip(names, keys.c, strict=True))),
                  and_(*(live.c[n] == k for n, k in zip(names, keys.c, strict=True))), tuple(columns), ctx)


def joined_keys(writer: BulkWriter, ctx: WriteContext, at: datetime, keys: Sequence[tuple[Any, ...]] | Table,
                columns: Sequence[str]) -> Joined:
    """The joined sources of listed keys (``--keys``): a chunk of them, each found in the live table or the store
    (a key in neither is in no row), or a table of them (``staging.keyed``). The states in the form cheap for a few
    keys, read only for these."""
    names = ctx.det.key
    query = writer.state_query(ctx, at, few=True)
    assert query is not None
    live, store = ctx.live, ctx.store
    if isinstance(keys, Table):
        source = select(*(keys.c[n] for n in names)).subquery("chrono_keys")
        query = query.where(_among(store, names, select(*source.c)))
    else:
        query = query.where(_among(store, names, keys))
        source = union(select(*(live.c[n] for n in names)).where(_among(live, names, keys)),
                       select(*(store.c[n] for n in names)).where(_among(store, names, keys))).subquery("chrono_keys")
    states = query.subquery("chrono_states")
    return Joined(source, states, live, and_(*(states.c[n] == k for n, k in zip(names, source.c, strict=True))),
                  and_(*(live.c[n] == k for n, k in zip(names, source.c, strict=True))), tuple(columns), ctx)


def _among(table: Any, names: Sequence[str], keys: Sequence[tuple[Any, ...]] | Select[Any]) -> ColumnElement[bool]:
    """``table``'s key columns are one of ``keys`` (tuples, or a SELECT of the key columns)."""
    cols = [table.c[n] for n in names]
    if isinstance(keys, Select):
        return tuple_(*cols).in_(keys) if len(cols) > 1 else cols[0].in_(keys)
    return tuple_(*cols).in_(keys) if len(cols) > 1 else cols[0].in_([k[0] for k in keys])


def marked(j: Joined) -> list[str]:
    """The restored columns ``classified`` tells, per row, whether it changes (bit i: the i-th; 62 fit one
    integer, any further column counts as changed)."""
    return [c for c in j.columns if c not in j.ctx.det.key][:62]


def classified(j: Joined, checked: Sequence[str], missing_is_current: bool) -> Select[Any]:
    """Per key: the key, its class, its fingerprint (rows to write), which ``marked`` columns it changes, in how
    many columns of ``checked`` a NULL would be written, and for each of them whether one would be."""
    found = j.states.c[j.ctx.det.key[0]].is_not(None)
    here = j.live.c[j.ctx.det.key[0]].is_not(None)
    kind = case((and_(~found, ~here), ABSENT_BOTH), (~found, UNCHANGED if missing_is_current else CREATED_LATER),
                (j.gone(), case((here, CREATED_LATER), else_=ABSENT_BOTH)), (~here, RECREATE),
                (j.differs(), RESTORE), else_=SAME)
    nulls = [case((and_(j.states.c[c].is_(None), or_(~here, ~j.same(c))), 1), else_=0) for c in checked]
    changes = reduce(operator.add, [case((~j.same(c), 1 << i), else_=0) for i, c in enumerate(marked(j))], literal(0))
    counted = reduce(operator.add, nulls, literal(0))
    return select(*j.keys.c, kind, j.fingerprint(), changes, counted, *nulls).select_from(
        j.keys.outerjoin(j.states, j.on_state).outerjoin(j.live, j.on_live))


def listed(j: Joined, keys: Sequence[tuple[Any, ...]] | None) -> Select[Any]:
    """The rows to write (of ``keys``, rows ``classified`` found to write, or all): the key, the live row (NULLs:
    gone), the restored values. ``j`` made with ``few`` for ``keys``."""
    names = j.ctx.det.key
    cols = [j.states.c[n] for n in names]
    query = select(*cols, *j.live.columns, *j.new())
    if keys is None:
        query = query.select_from(j.keys.join(j.states, j.on_state).outerjoin(j.live, j.on_live)).where(
            ~j.gone(), or_(j.live.c[names[0]].is_(None), j.differs()))
    else:
        query = query.select_from(j.states.outerjoin(j.live, and_(*(j.live.c[n] == j.states.c[n] for n in names))))
        query = query.where(tuple_(*cols).in_(keys) if len(cols) > 1 else cols[0].in_([k[0] for k in keys]))
    return query


def stage(j: Joined, table: Table, recreated: bool, every_state: bool) -> dict[tuple[Any, ...], Any]:
    """Fill the staging table with the rows to write and their fingerprints, locking the live rows (FOR UPDATE);
    the re-created rows only when ``recreated`` (a row gone since the plan is then missing from the stage). With
    ``every_state`` each key with a state is among the changed keys (``BulkWriter.states_after``, S <= T), so the
    keys are not joined. Returns the staged fingerprints by key."""
    names = list(j.ctx.det.key)
    restored = [c for c in j.columns if c not in names]
    new = dict(zip(j.columns, j.new(), strict=True))
    keys = [j.states.c[n] for n in names]
    to_live = and_(*(j.live.c[n] == j.states.c[n] for n in names))
    source = j.states if every_state else j.keys.join(j.states, j.on_state)
    present = select(*keys, *(new[c] for c in restored), false(), j.fingerprint()).select_from(
        source.join(j.live, to_live)).where(~j.gone(), j.differs())
    conn = j.ctx.conn
    into = [*names, *restored, ABSENT, SEEN]
    conn.execute(insert(table).from_select(into, present.with_for_update(of=j.live)))
    if recreated:
        gone = select(*keys, *(j.states.c[c] for c in restored), true(), j.fingerprint(False)).select_from(
            source.outerjoin(j.live, to_live)).where(~j.gone(), j.live.c[names[0]].is_(None))
        conn.execute(insert(table).from_select(into, gone))
    width = len(j.ctx.det.key)
    staged = select(*(table.c[c] for c in j.ctx.det.key), table.c[SEEN])
    return {r[:width]: r[width] for r in fetched(conn, staged)}


def fetched(conn: Connection, query: Select[Any]) -> list[tuple[Any, ...]]:
    """Every row of ``query`` as plain tuples; straight from the driver when no column's values need converting
    (the common case of integer keys, text and the class numbers: several times cheaper for 100,000 rows)."""
    result = conn.execute(query)
    dialect = conn.dialect
    if all(c.type.dialect_impl(dialect).result_processor(dialect, None) is None for c in query.selected_columns):
        rows = list(result.cursor.fetchall())
        result.close()
        return [tuple(r) for r in rows] if rows and type(rows[0]) is not tuple else rows
    return [tuple(r) for r in result]


def row_text(dialect: Dialect, values: Sequence[Any]) -> ColumnElement[Any]:
    """``values`` as one exact text: PostgreSQL's row output; on MariaDB each value ``QUOTE``d (NULL as NULL),
    joined by commas, in hexadecimal (a value's text is its bytes, whatever its character set); on SQLite a JSON
    array (``_sqlite_json``)."""
    if dialect.name == "postgresql":
        return cast(tuple_(*values), sqltypes.Text)
    if dialect.name in ("mysql", "mariadb"):
        return func.hex(func.concat_ws(",", *(func.quote(v) for v in values)), type_=sqltypes.Text)
    return func.json_array(*(_sqlite_json(v, dialect) for v in values), type_=sqltypes.Text)


def _sqlite_json(value: Any, dialect: Dialect) -> ColumnElement[Any]:
    """A SQLite value as JSON keeps it exactly: integers and text as themselves; JSON would round a real to 15
    digits and refuses a blob, so those go in as their SQL literal (``quote``: a real to the last bit, a blob in
    hexadecimal) in an array of their own (so the blob x'41' and the text "X'41'" differ). SQLite keeps any value in
    any column, but a column's affinity narrows what it holds: one of text affinity turns a number into text as it
    stores it, so only a blob is asked about there (every blob sorts after every other value: one comparison, no
    function call); one of integer affinity keeps a real that is no whole number, or a blob; other declared types
    have every value quoted."""
    if not isinstance(value.type, sqltypes.Integer | sqltypes.String):
        return func.quote(value)
    affinity = _affinity(value.type, dialect)
    if affinity == "text":
        return case((value >= literal(b"", sqltypes.LargeBinary), func.json_array(func.quote(value))), else_=value)
    if affinity == "integer":
        kind = func.typeof(value)
        return case((or_(kind == "real", kind == "blob"), func.json_array(func.quote(value))), else_=value)
    return func.quote(value)


def _affinity(t: sqltypes.TypeEngine[Any], dialect: Dialect) -> str:
    """The affinity SQLite gives a column declared of type ``t``, by SQLite's rules on the declared name (2.1 of
    https://www.sqlite.org/datatype3.html): integer, text, or other."""
    declared = t.compile(dialect=dialect).upper()
    if "INT" in declared:
        return "integer"
    return "text" if any(word in declared for word in ("CHAR", "CLOB", "TEXT")) else "other"
