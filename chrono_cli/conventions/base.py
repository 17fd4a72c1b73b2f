"""The adapter contract every history convention implements."""

from __future__ import annotations

import abc
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from sqlalchemy import select
from sqlalchemy.engine import Connection

from chrono_cli.config import TableConfig
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.errors import UnsupportedOperation
from chrono_cli.model import RowChange, RowKey, TableRef, Version
from chrono_cli.records import Struct

if TYPE_CHECKING:
    from chrono_cli.conventions.checkspec import CheckSpec


class Options(Struct, frozen=True):
    """What a detector learnt about one table beyond the common fields; each convention subclasses it."""

    def bookkeeping(self) -> tuple[str, ...]:
        """Live-table columns the convention maintains itself (not part of the record's values)."""
        return ()

    def ancestors(self) -> tuple[str, ...]:
        """Tables whose versions every write of this table also writes (joined inheritance), root first."""
        return ()


NO_OPTIONS = Options()


class ArchiveOptions(Options, frozen=True):
    """An archive column: a boolean flag or a nullable timestamp set when a row is archived."""

    column: str
    kind: str  # "boolean" or "timestamp"


OptionsT = TypeVar("OptionsT", bound=Options)


class Degradation(Struct, frozen=True):
    """Why a detection is a near miss: schema drift the store does not follow."""

    reason: str
    column: str | None = None  # the base column concerned; config may declare it unrecorded
    blocks_writes: bool = True  # the library's own next write fails (or differs): chrono writes nothing either


class Detection(Struct, frozen=True, eq=False):
    """One convention found on one live table, with the evidence that found it."""

    adapter: str
    live: TableRef
    store: TableRef
    key: tuple[str, ...]
    version_col: str | None = None
    time_col: str | None = None
    score: int = 1
    evidence: tuple[str, ...] = ()
    options: Options = NO_OPTIONS
    confirm: bool = False  # a singleton store: confirm membership with a row query before use
    degraded: tuple[Degradation, ...] = ()  # empty: the store matches; else the drift it does not follow

    @property
    def in_table(self) -> bool:
        return self.live == self.store

    def opts(self, kind: type[OptionsT]) -> OptionsT:
        """The options as the convention's own dataclass."""
        assert isinstance(self.options, kind), f"{self.adapter} detection has {type(self.options).__name__}"
        return self.options

    @property
    def reasons(self) -> tuple[str, ...]:
        """The degradation reasons as text."""
        return tuple(d.reason for d in self.degraded)


class ReadContext(Struct, frozen=True):
    """What an adapter gets to read one record."""

    conn: Connection
    snapshot: SchemaSnapshot
    config: TableConfig

    def info(self, ref: TableRef) -> TableInfo:
        info = self.snapshot.get(ref)
        assert info is not None, f"{ref} not in snapshot"
        return info


MAX_CHANGES = 1_000_000  # a change set is read whole or refused, never cut short (its listing asks for one more)


class EventQuery(Struct, frozen=True):
    """A window of changes to list, newest first: [since, until], strictly older than ``before``."""

    since: datetime | None = None
    until: datetime | None = None
    before: datetime | None = None
    limit: int = 100
    group: Any = None  # only the changes of this transaction (stores that record transactions)
    actor: str | None = None  # only this actor's changes (name or user id), kept by listers that can in SQL (at
    # least every change ``actors.matches``; the caller filters exactly and regroups inferred sets)
    before_group: Any = None  # stores that record transactions: only those older than this one (a page cursor)
    match: Any = None  # a pickaxe.ValueMatch: listers that can narrow to its changes in SQL do (the caller filters)
    light: bool = False  # only which changes: their tables, keys, times, actors and groups (what a change set is
    # made of); listers that can skip the rest (operations, field changes, notes) do


class ConventionAdapter(abc.ABC):
    """Detects one convention in a schema snapshot and reads its versions."""

    name: ClassVar[str]
    title: ClassVar[str]
    singleton_stores: ClassVar[tuple[str, ...]] = ()  # table names of one-per-database stores
    table_column: ClassVar[str | None] = None  # singleton stores: the column naming the live table of a row
    paired_suffixes: ClassVar[tuple[str, ...]] = ()    # store names derived from the live table name
    check: ClassVar[CheckSpec | None] = None           # None: check-migrations does not compare its stores
    pages_by_group: ClassVar[bool] = False  # its change listing honours EventQuery.before_group (integer ids)
    filters_actor: ClassVar[bool] = False  # its listing of inferred changes narrows to EventQuery.actor in SQL

    def related(self, name: str, all_names: Collection[str]) -> set[str]:
        """Other tables of ``name``'s schema this convention needs to read its history (targeted reflection)."""
        return set()

    @abc.abstractmethod
    def detect(self, snapshot: SchemaSnapshot) -> Iterable[Detection]:
        """Look only at reflected tables and columns; never query rows."""

    def pair(self, snapshot: SchemaSnapshot, base: TableInfo, store: TableInfo) -> Detection | None:
        """``store`` as ``base``'s history, when config names it (``[tables.X] history = ...``); None: not ours."""
        return None

    def members(self, conn: Connection, snapshot: SchemaSnapshot, det: Detection,
                names: Iterable[str]) -> set[str]:
        """For singleton stores: which of ``names`` the store holds rows for (one query)."""
        if self.table_column is None:
            return set(names)
        column = snapshot.tables[det.store].table().c[self.table_column]
        return set(conn.execute(select(column).where(column.in_(list(names))).distinct()).scalars())

    def versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        """The record's states oldest first; ``seq`` and ``changes`` are filled in by services."""
        raise UnsupportedOperation(f"{self.name} cannot read history")

    def iter_versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> Iterator[Version]:
        """``versions`` one at a time, as the store yields them: an adapter that can stream its store (a
        server-side cursor) overrides this so a long history is never held whole; by default, ``versions``."""
        return iter(self.versions(ctx, det, key))

    def versions_page(self, ctx: ReadContext, det: Detection, key: RowKey, before: int | None,
                      size: int) -> list[Version] | None:
        """Newest first, a page at a time: up to ``size`` states before position ``before`` (None: the newest
        ones), preceded by the state just before them when there is one (a change is a difference from it),
        oldest first, each with ``seq`` set to its position in the full timeline; [] when there is none. The
        store reads only that window. None: this store cannot be read so (services then read it whole)."""
        return None

    def state_at(self, ctx: ReadContext, det: Detection, key: RowKey, at: datetime) -> list[Version] | None:
        """The state valid at ``at`` answered by the store itself (e.g. ``FOR SYSTEM_TIME AS OF``), without
        reading every version: ``[previous, state]`` (or ``[state]`` when it is the first or follows a deletion),
        each with ``seq`` set to its position in the full timeline; ``valid_to`` is None only on the latest state.
        None: not available, or no state at that time; services then read the whole timeline (which says why)."""
        return None

    def store_filter(self, snapshot: SchemaSnapshot, det: Detection) -> Any:
        """The condition selecting this live table's rows in a shared store (None: the whole store)."""
        if self.table_column is None:
            return None
        return snapshot.tables[det.store].table().c[self.table_column] == det.live.name

    def count_history(self, conn: Connection, snapshot: SchemaSnapshot, det: Detection) -> int | None:
        """How many history rows the store keeps for the live table."""
        from chrono_cli.conventions.rows import count

        return count(conn, snapshot.tables[det.store].table(), self.store_filter(snapshot, det))

    def events(self, ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
        """The newest row changes in the window (at most ``query.limit``), newest first."""
        raise UnsupportedOperation(f"{self.name} stores no times, so its changes cannot be listed by time")

    def listing_time(self, det: Detection) -> str | None:
        """The store column ``events`` pages by time (an index on it keeps every page constant-time)."""
        return det.time_col

    def history_keys(self, ctx: ReadContext, det: Detection) -> Any:
        """A select of the distinct keys the store knows (for listing deleted rows)."""
        raise UnsupportedOperation(f"{self.name} cannot list the keys of its history")
