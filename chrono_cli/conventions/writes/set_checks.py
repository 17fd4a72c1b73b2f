"""The unique and foreign-key checks of a set-based revert: one query per constraint and chunk of values.

They only pick the rows to look at closely: a row any query might concern (a value another row holds, a parent
not found, a child row left behind) is flagged, and the revert settles it with the row-by-row checks
(``checks.conflicts``, ``checks.referencing``), which word the refusal. Values are matched in Python where a query
answers: anything the database calls equal that Python does not (a case-insensitive collation) flags the whole
chunk, so a check can flag too much, never too little.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Column, MetaData, Table, select, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.writes.checks import pending_row, unique_indexes
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.model import RowKey, TableRef
from chrono_cli.records import Struct

CHUNK = 500  # values per IN list


class Written(Struct, frozen=True):
    """A row the revert writes (restore or re-insert): its key, every value it will hold, what changes."""

    key: tuple[Any, ...]
    values: Mapping[str, Any]
    changed: Collection[str]
    inserting: bool


def _among(cols: Sequence[Any], values: list[tuple[Any, ...]]) -> ColumnElement[bool]:
    if len(cols) > 1:
        return tuple_(*cols).in_(values)
    return cols[0].in_([v[0] for v in values])  # type: ignore[no-any-return]


def _chunks(values: Sequence[tuple[Any, ...]]) -> list[list[tuple[Any, ...]]]:
    distinct = list(dict.fromkeys(values))
    return [distinct[i:i + CHUNK] for i in range(0, len(distinct), CHUNK)]


def unique_taken(conn: Connection, info: TableInfo, rows: Sequence[Written], key: Sequence[str],
                 skip: Collection[str]) -> set[tuple[Any, ...]]:
    """Rows whose values of a unique index (the primary key aside) another live row may hold."""
    table = info.table()
    flagged: set[tuple[Any, ...]] = set()
    for _, cols in unique_indexes(info, skip):
        wanted: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
        for r in rows:
            if not all(c in r.values and c in table.c for c in cols) or any(r.values[c] is None for c in cols):
                continue
            if r.inserting or set(cols) & set(r.changed):
                wanted.setdefault(tuple(r.values[c] for c in cols), []).append(r.key)
        width = len(key)
        for chunk in _chunks(list(wanted)):
            query = select(*(table.c[c] for c in key), *(table.c[c] for c in cols)).where(
                _among([table.c[c] for c in cols], chunk))
            for hit in conn.execute(query):
                other, values = tuple(hit[:width]), tuple(hit[width:])
                if values not in wanted:  # equal to the database, not to Python: look at the whole chunk closely
                    flagged.update(k for v in chunk for k in wanted[v])
                    continue
                flagged.update(k for k in wanted[values] if k != other)
    return flagged


def parents_missing(conn: Connection, info: TableInfo, rows: Sequence[Written], planned: Collection[Any],
                    ) -> tuple[set[tuple[Any, ...]], dict[tuple[Any, ...], set[Any]]]:
    """Rows whose foreign-key values name no parent row, and the rows whose parent is one the revert re-inserts
    (``planned``, as ``checks.pending_row`` names them): they hold only if it is re-inserted before them."""
    flagged: set[tuple[Any, ...]] = set()
    needs: dict[tuple[Any, ...], set[Any]] = {}
    for fk in info.foreign_keys:
        cols = fk.columns
        wanted: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
        for r in rows:
            if not cols or not all(c in r.values for c in cols) or any(r.values[c] is None for c in cols):
                continue
            if not r.inserting and not set(cols) & set(r.changed):
                continue
            values = tuple(r.values[c] for c in cols)
            pending = pending_row(fk.referred, dict(zip(fk.referred_columns, values, strict=True)))
            if pending in planned:
                needs.setdefault(r.key, set()).add(pending)
            else:
                wanted.setdefault(values, []).append(r.key)
        parent = Table(fk.referred.name, MetaData(), *(Column(c) for c in fk.referred_columns),
                       schema=fk.referred.schema)
        refcols = [parent.c[c] for c in fk.referred_columns]
        for chunk in _chunks(list(wanted)):
            found = {tuple(row) for row in conn.execute(select(*refcols).where(_among(refcols, chunk)))}
            flagged.update(k for v in chunk if v not in found for k in wanted[v])
    return flagged, needs


def still_referenced(conn: Connection, snapshot: SchemaSnapshot, info: TableInfo, keys: Sequence[tuple[Any, ...]],
                     key: Sequence[str], deleting: Collection[tuple[TableRef, RowKey]]) -> set[tuple[Any, ...]]:
    """Keys of rows to delete that a row of another table, not deleted too, may still reference."""
    flagged: set[tuple[Any, ...]] = set()
    for child in snapshot:
        for fk in child.foreign_keys:
            if fk.referred != info.ref or set(fk.referred_columns) != set(key) or not child.pk:
                continue
            table = child.table()
            order = [fk.columns[list(fk.referred_columns).index(c)] for c in key]  # the child's columns, key order
            width = len(child.pk)
            for chunk in _chunks(keys):
                query = select(*(table.c[c] for c in child.pk), *(table.c[c] for c in order)).where(
                    _among([table.c[c] for c in order], chunk))
                for hit in conn.execute(query):
                    them = RowKey(tuple(zip(child.pk, hit[:width], strict=True)))
                    if (child.ref, them) in deleting:
                        continue
                    parent = tuple(hit[width:])
                    flagged.update([parent] if parent in chunk else chunk)
    return flagged
