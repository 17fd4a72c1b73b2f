"""The contract of a write-set builder: lock a row, read it, and build the statements a library would run."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.config import TableConfig
from chrono_cli.conventions.base import Detection
from chrono_cli.conventions.rows import fetch_live, key_where
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.errors import UnsupportedOperation
from chrono_cli.model import FieldChange, RowKey, Timeline, Version
from chrono_cli.records import Struct, field


class WriteMeta(Struct, frozen=True):
    """Who asks for the write and why (recorded where the convention has a place for it)."""

    actor: str | None = None
    reason: str | None = None


class Checkpoint(Struct, frozen=True):
    """The part of a write's state a refused row must not change (see ``WriteState.rollback``)."""

    inserted: frozenset[Any]
    written: frozenset[tuple[str, ...]]


class WriteState(Struct):
    """What the rows of one multi-row write share, built in order (one Continuum transaction row for all).

    A row that is refused after it started building is undone with ``rollback(checkpoint())`` taken before it,
    so the next row sees exactly the state before the refused one. Catalog lookups memoised for the write
    (``memo``) describe the schema, not the write, and are kept.
    """

    inserted: set[Any] = field(default_factory=set)                # rows re-inserted earlier (checks.pending_row)
    written: set[tuple[str, ...]] = field(default_factory=set)     # records a write makes once, by identity
    _memo: dict[str, dict[Any, Any]] = field(default_factory=dict)

    def checkpoint(self) -> Checkpoint:
        return Checkpoint(frozenset(self.inserted), frozenset(self.written))

    def rollback(self, checkpoint: Checkpoint) -> None:
        self.inserted = set(checkpoint.inserted)
        self.written = set(checkpoint.written)

    def once(self, *identity: str) -> bool:
        """True the first time a record with this identity is written in the write (then remembered)."""
        if identity in self.written:
            return False
        self.written.add(identity)
        return True

    def memo(self, name: str) -> dict[Any, Any]:
        """A per-write cache of catalog lookups called ``name``."""
        return self._memo.setdefault(name, {})

    def sharing_lookups(self) -> WriteState:
        """A new state (nothing written yet) that shares this one's catalog lookups (``memo``): they describe the
        schema, not the write."""
        return WriteState(_memo=self._memo)


class WriteContext(Struct, frozen=True):
    """What a writer gets: the connection, the reflected tables, the detection and the time of the write."""

    conn: Connection
    snapshot: SchemaSnapshot
    det: Detection
    config: TableConfig
    now: datetime  # aware UTC; every time the write-set records derives from it
    meta: WriteMeta = field(default_factory=WriteMeta)
    shared: WriteState = field(default_factory=WriteState)  # what the rows of one write share
    # the live table as the written object sees it, when that is more than one table (joined inheritance)
    merged: TableInfo | None = None

    @property
    def live_info(self) -> TableInfo:
        return self.merged or self.snapshot.tables[self.det.live]

    @property
    def store_info(self) -> TableInfo:
        return self.snapshot.tables[self.det.store]

    @property
    def live(self) -> Table:
        return self.live_info.table()

    @property
    def store(self) -> Table:
        return self.store_info.table()


class Step(Struct, frozen=True):
    """One statement of a write-set; ``expect`` is the row count an UPDATE must report (None: any)."""

    statement: UpdateBase
    label: str
    expect: int | None = None


class WriteSet(Struct):
    """The statements of one row's write, in order, and what the person should know about them."""

    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Writer(abc.ABC):
    """Builds, for one convention, the statements its library would have run for a change."""

    def bookkeeping(self, det: Detection) -> frozenset[str]:
        """Live-table columns the library maintains itself (never restored from history)."""
        return frozenset({det.version_col} - {None})  # type: ignore[arg-type]

    def store_where(self, ctx: WriteContext, key: RowKey) -> ColumnElement[bool] | None:
        """The store rows that belong to ``key`` (None: the store is the live table, or there is none)."""
        return key_where(ctx.store, key) if not ctx.det.in_table else None

    def context(self, ctx: WriteContext) -> WriteContext:
        """The context writes to this table use (a writer may widen the live table, e.g. joined inheritance)."""
        return ctx

    def writable(self, ctx: WriteContext, key: RowKey) -> None:
        """Raise when chrono cannot write ``key`` the way the library would (checked before anything else)."""
        return None

    def restorable(self, ctx: WriteContext, key: RowKey, version: Version, label: str) -> None:
        """Raise when bringing ``key``'s live row (it exists) to ``version`` (called ``label``) would write what the
        library could not read back (a joined-inheritance object's class changed since). Nothing by default."""
        return None

    def lock(self, ctx: WriteContext, key: RowKey) -> None:
        """Lock the live row and the key's history rows until the transaction ends (FOR UPDATE)."""
        live = ctx.live
        ctx.conn.execute(select(*live.primary_key.columns).where(key_where(live, key)).with_for_update())
        where = self.store_where(ctx, key)
        if where is not None:
            store = ctx.store
            cols = list(store.primary_key.columns) or list(store.columns)[:1]
            ctx.conn.execute(select(*cols).where(where).with_for_update())

    def current_row(self, ctx: WriteContext, key: RowKey) -> dict[str, Any] | None:
        """The live row as the library sees it (None: deleted)."""
        return fetch_live(ctx.conn, ctx.live, key)

    def history_count(self, ctx: WriteContext, key: RowKey) -> int:
        """How many store rows ``key`` has (a cheap check that history did not move)."""
        where = self.store_where(ctx, key)
        if where is None:
            return 0
        return int(ctx.conn.execute(select(func.count()).select_from(ctx.store).where(where)).scalar_one())

    @abc.abstractmethod
    def update(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any], new: Mapping[str, Any],
               changes: Sequence[FieldChange], timeline: Timeline | None) -> WriteSet:
        """Statements that change the live row from ``current`` to ``new`` and record it as the library would."""

    def insert(self, ctx: WriteContext, key: RowKey, new: Mapping[str, Any], timeline: Timeline) -> WriteSet:
        """Statements that re-create a deleted row (undelete)."""
        raise UnsupportedOperation(f"{ctx.det.adapter} cannot re-create deleted rows")

    def delete(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any],
               timeline: Timeline | None) -> WriteSet:
        """Statements that delete the live row and record the deletion as the library would."""
        raise UnsupportedOperation(f"{ctx.det.adapter} cannot delete rows the way the library records deletions")

    def deleted_keys(self, ctx: WriteContext, limit: int | None = None) -> list[RowKey]:
        """Keys the store knows whose live row is gone."""
        raise UnsupportedOperation(f"{ctx.det.adapter} cannot list deleted rows")

    def deletion_notes(self, det: Detection) -> list[str]:
        """What a list of deleted rows should say about what this store records of deletions."""
        return []


class ArchiveWriter(Writer):
    """A writer for an archive column: what the column holds, and the rows it hides."""

    @abc.abstractmethod
    def column(self, det: Detection) -> str:
        """The archive column."""

    @abc.abstractmethod
    def is_archived(self, det: Detection, row: Mapping[str, Any]) -> bool:
        """Whether ``row``'s archive column says archived."""

    @abc.abstractmethod
    def archived_at(self, det: Detection, row: Mapping[str, Any]) -> datetime | None:
        """When the row was archived, where the column says so (a timestamp column)."""

    @abc.abstractmethod
    def archive_value(self, ctx: WriteContext, det: Detection, archived: bool) -> Any:
        """What the column stores for archived (or not archived), as of the write's time."""

    @abc.abstractmethod
    def archived_rows(self, ctx: WriteContext, limit: int | None = None) -> list[dict[str, Any]]:
        """Rows whose archive column is set, in key order."""


def find_info(ctx: WriteContext, name: str | None) -> TableInfo | None:
    """A table of the snapshot by its qualified name."""
    return next((t for t in ctx.snapshot if str(t.ref) == name), None) if name else None
