"""Constraint checks before a write: would a unique key or a foreign key break? (SELECTs only.)"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from sqlalchemy import Column, MetaData, Table, and_, not_, select
from sqlalchemy.engine import Connection

from chrono_cli.conventions.rows import key_where
from chrono_cli.db.reflect import IndexInfo, SchemaSnapshot, TableInfo
from chrono_cli.model import RowKey, TableRef

REFERENCING_SHOWN = 20  # referencing rows listed per foreign key


def conflicts(conn: Connection, info: TableInfo, key: RowKey, new: Mapping[str, Any], changed: Collection[str],
              *, inserting: bool, skip: Collection[str] = (), pending: Collection[Any] = ()) -> list[str]:
    """One message per unique or foreign-key constraint the new row values would break.

    ``pending`` holds the rows earlier steps of the same write insert (see ``pending_row``): a foreign key
    to one of them holds.
    """
    return (_unique(conn, info, key, new, changed, inserting=inserting, skip=skip)
            + _foreign(conn, info, new, changed, inserting=inserting, pending=pending))


def pending_row(table: TableRef, values: Mapping[str, Any]) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """How a row inserted earlier in the same write is named in ``pending``."""
    return str(table), tuple(sorted(values.items()))


def unique_indexes(info: TableInfo, skip: Collection[str]) -> Iterator[tuple[IndexInfo, tuple[str, ...]]]:
    """The table's unique indexes other than its primary key and those on ``skip`` columns, once per column set."""
    seen: set[tuple[str, ...]] = set()
    for ix in info.indexes:
        cols = tuple(ix.columns)
        if not ix.unique or not cols or cols in seen or set(cols) == set(info.pk) or set(cols) & set(skip):
            continue
        seen.add(cols)
        yield ix, cols


def _unique(conn: Connection, info: TableInfo, key: RowKey, new: Mapping[str, Any], changed: Collection[str],
            *, inserting: bool, skip: Collection[str]) -> list[str]:
    table = info.table()
    out: list[str] = []
    for ix, cols in unique_indexes(info, skip):
        if not all(c in new and c in table.c for c in cols) or any(new[c] is None for c in cols):
            continue
        if not inserting and not set(cols) & set(changed):
            continue
        match = and_(*(table.c[c] == new[c] for c in cols))
        keycols = [table.c[c] for c in key.as_dict()]
        hit = conn.execute(select(*keycols).where(match, not_(key_where(table, key))).limit(1)).first()
        if hit is not None:
            other = ", ".join(f"{c.name}={v}" for c, v in zip(keycols, hit, strict=True))
            values = ", ".join(f"{c}={new[c]!r}" for c in cols)
            name = ix.name or f"unique ({', '.join(cols)})"
            out.append(f"unique constraint {name} would break: {info.ref} row {other} already has {values}")
    return out


def _foreign(conn: Connection, info: TableInfo, new: Mapping[str, Any], changed: Collection[str],
             *, inserting: bool, pending: Collection[Any]) -> list[str]:
    out: list[str] = []
    for fk in info.foreign_keys:
        cols = fk.columns
        if not cols or not all(c in new for c in cols) or any(new[c] is None for c in cols):
            continue
        if not inserting and not set(cols) & set(changed):
            continue
        if pending_row(fk.referred, {rc: new[c] for c, rc in zip(cols, fk.referred_columns, strict=True)}) in pending:
            continue
        parent = Table(fk.referred.name, MetaData(), *(Column(c) for c in fk.referred_columns),
                       schema=fk.referred.schema)
        match = and_(*(parent.c[rc] == new[c] for c, rc in zip(cols, fk.referred_columns, strict=True)))
        if conn.execute(select(parent.c[fk.referred_columns[0]]).where(match).limit(1)).first() is None:
            values = ", ".join(f"{rc}={new[c]!r}" for c, rc in zip(cols, fk.referred_columns, strict=True))
            name = fk.name or f"({', '.join(cols)})"
            out.append(f"foreign key {name} ({', '.join(cols)}) would break: no {fk.referred} row with {values}")
    return out


def referencing(conn: Connection, snapshot: SchemaSnapshot, info: TableInfo,
                key: RowKey) -> list[tuple[TableRef, str, RowKey]]:
    """Rows of other tables whose foreign key points at ``key`` (table, constraint, their key); a few per key."""
    out: list[tuple[TableRef, str, RowKey]] = []
    values = key.as_dict()
    for child in snapshot:
        for fk in child.foreign_keys:
            if fk.referred != info.ref or set(fk.referred_columns) != set(values) or not child.pk:
                continue
            table = child.table()
            match = and_(*(table.c[c] == values[rc] for c, rc in zip(fk.columns, fk.referred_columns, strict=True)))
            pk = [table.c[c] for c in child.pk]
            for row in conn.execute(select(*pk).where(match).limit(REFERENCING_SHOWN)):
                out.append((child.ref, fk.name or f"({', '.join(fk.columns)})",
                            RowKey(tuple(zip(child.pk, row, strict=True)))))
    return out
