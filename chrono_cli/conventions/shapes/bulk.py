"""Set-based restores: many rows to their state at one time, in a handful of statements.

``chrono restore TABLE --at T --all-changed-since S`` (or ``--keys FILE``). A bulk writer reads the state at T
of every row in one query per chunk of keys, and writes through a temporary staging table holding the target
rows (key, restored columns, and ``chrono_absent`` = the live row is gone and is re-inserted): one
``UPDATE ... FROM`` for the live rows, one ``INSERT ... SELECT`` for the history rows the library would write
for each of them, whatever the number of rows.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import Column, Table, and_, delete, exists, insert, select, tuple_, update
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.rows import as_utc, zone
from chrono_cli.conventions.shapes.staging import ABSENT, KEPT
from chrono_cli.conventions.shapes.window import sqlite_exact
from chrono_cli.conventions.writes.base import Step, WriteContext
from chrono_cli.conventions.writes.values import same_type
from chrono_cli.errors import UnsupportedOperation
from chrono_cli.model import Op, TableRef
from chrono_cli.records import Struct

CHUNK = 1000  # keys per IN list
SPAN_PAD = timedelta(milliseconds=2)  # SQLite text times compare to the millisecond: read past a span, match exactly
GONE = "chrono_gone"  # optional column of a state query: true where the row did not exist at the time
# the columns of an undo query (``BulkWriter.undo_query``) beside the key and the state before the change set
UNDO_OP = "chrono_undo_op"  # the change set's operation on the key (0 insert, 1 update, 2 delete)
UNDO_LATER = "chrono_undo_later"  # true: the key has a version after the change set
UNDO_BEFORE = "chrono_undo_before"  # the operation of the version just before it (NULL: none; 2: a deletion)
UNDO_MADE = "chrono_undo_made"  # true: the change set left the row (false: it deleted it)
MADE = "chrono_made_"  # + the recorded column's position: the state the change set left
# a staging table's ``info``: its write writes each joined-inheritance object whole, a part per table of the
# hierarchy (``chrono revert``); the value: every staged row is an ancestor row of an object whose own entries (the
# object's class) another part writes
OBJECTS = "chrono_objects"


UNDO_OPS = {Op.INSERT: 0, Op.UPDATE: 1, Op.DELETE: 2}  # ``Undo.op``: the change set's operation on a key


class Undo(Struct, frozen=True):
    """What one change set did to one key, as a set-based revert needs it (see ``BulkWriter.undo``)."""

    op: int | None                       # the change set's operation on the key (0 insert, 1 update, 2 delete)
    made: dict[str, Any] | None          # the state it left (None: it deleted the row)
    before: dict[str, Any] | None        # the recorded state just before it (None: no version before it)
    before_gone: bool = False            # the version just before it is a deletion (the set re-created the row)
    later: bool = False                  # the key has a version after the change set
    current: dict[str, Any] | None = None  # the live row (None: gone)
    times: tuple[datetime, ...] = ()     # an exact set whose versions the store does not number by it (a pghistory
    #                                      context, an auditlog cid): their times, as the row's reading finds them


@dataclass(frozen=True, slots=True)
class Span:
    """An inferred change set's rows in one table, for ``BulkWriter.undo``: each key with the times (aware UTC, as
    the listing read them) of the set's changes to it. A store version is the set's when its key is here and its
    time (``stored_moment``) is one of the key's times, as the row-by-row revert matches a row's versions."""

    times: Mapping[tuple[Any, ...], Collection[datetime]]
    oldest: datetime = field(init=False)
    newest: datetime = field(init=False)
    changes: int = field(init=False)  # the set's changes in the table (a key changed twice counts twice)

    def __post_init__(self) -> None:
        every = [t for ts in self.times.values() for t in ts]
        object.__setattr__(self, "oldest", min(every))
        object.__setattr__(self, "newest", max(every))
        object.__setattr__(self, "changes", len(every))


def stored_moment(tz_name: str | None) -> Callable[[Any], datetime | None]:
    """A stored time as a moment that compares (and hashes) equal to the listing's aware UTC time of it
    (``rows.as_utc``), cheaply for naive values: aware datetimes compare as instants, whatever their zone."""
    tz = zone(tz_name)

    def moment(value: Any) -> datetime | None:
        if type(value) is datetime and value.tzinfo is None:
            return value.replace(tzinfo=tz)
        return as_utc(value, tz_name)

    return moment


class BulkWriter(abc.ABC):
    """One convention's set-based restore: who changed since, the states at a time, the statements."""

    missing_is_current: ClassVar[bool] = False  # no deciding store row: unchanged since (else: did not exist)
    raw_states: ClassVar[bool] = False  # states are the store's own columns of the live names, values as stored
    states_after: ClassVar[bool] = False  # a key's state at T is a store row written after T (so it changed since)
    undo_listed: ClassVar[bool] = False  # ``undo`` of an exact set lists its keys in the order the set lists them

    def raw_columns(self, ctx: WriteContext) -> frozenset[str]:
        """Restorable columns whose states are read from a store column of the same name, as stored."""
        if not self.raw_states:
            return frozenset()
        return frozenset(c for c in self.recorded(ctx) if c in ctx.store_info.columns)

    def fits_as_stored(self, ctx: WriteContext) -> frozenset[str]:
        """``raw_columns`` whose store column has the live column's own type: their values fit as they are stored
        (only a NULL in a column that became NOT NULL can have stopped fitting), so they need no one-by-one check."""
        store, live = ctx.store_info.columns, ctx.live_info.columns
        return frozenset(c for c in self.raw_columns(ctx) if same_type(store[c], live[c], ctx.conn.dialect))

    def notes(self, ctx: WriteContext) -> list[str]:
        """What the plan says about how states at a time are decided."""
        if not self.missing_is_current:
            return []
        return [f"{ctx.det.store} records no creation time: a row created after the time is restored to its first "
                "recorded state"]

    def meta_notes(self, ctx: WriteContext) -> list[str]:
        """What the plan says about the actor and reason this store records (the row-by-row writer says it on
        every row; a set-based plan once per store)."""
        return []

    def bookkeeping(self, ctx: WriteContext) -> frozenset[str]:
        return frozenset({ctx.det.version_col} - {None})  # type: ignore[arg-type]

    def check(self, ctx: WriteContext) -> None:
        """Raise when the table cannot be written set-based (checked before anything is read)."""
        return None

    def whole_objects(self, ctx: WriteContext) -> bool:
        """Whether the table's rows are parts of objects written whole, a row in each table of a hierarchy (joined
        inheritance): a bulk restore then writes each object as a single restore does (services/bulk_objects.py)."""
        return False

    def check_revert(self, ctx: WriteContext) -> None:
        """``check`` for a set-based revert or restore that writes joined-inheritance objects whole (``OBJECTS``)."""
        self.check(ctx)

    def records_objects(self, ctx: WriteContext) -> bool:
        """Whether a write of a joined-inheritance object records it whole (a version row in each of its tables, its
        class), so its rows are written together; False: each table's rows are written and versioned as they are
        (native versioning's triggers version what a statement writes). True by default."""
        return True

    def ancestor_tables(self, ctx: WriteContext) -> list[TableRef] | None:
        """The joined-inheritance tables every object of this table also has a row in, root first, keyed under the
        same column names (None: keyed otherwise). None (an empty list) by default."""
        return []

    def subclass_keys(self, ctx: WriteContext, keys: Sequence[tuple[Any, ...]]) -> set[tuple[Any, ...]]:
        """Those of ``keys`` whose object also has a row in a joined-inheritance subclass table (the library writes
        them as that subclass's objects). None by default."""
        return set()

    def subclass_tables(self, ctx: WriteContext, keys: Sequence[tuple[Any, ...]],
                        ) -> dict[tuple[Any, ...], tuple[TableRef, ...]] | None:
        """Those of ``keys`` whose object is of a joined-inheritance subclass (a row, live or in the history, in a
        table extending this one), each with the tables below this one down to its class's, keyed under the same
        column names; None: an object in two subclass tables, or a subclass keyed otherwise. None found by default."""
        return {}

    @abc.abstractmethod
    def recorded(self, ctx: WriteContext) -> list[str]:
        """Live columns the store records (restorable), the key and bookkeeping excluded."""

    @abc.abstractmethod
    def changed_since(self, ctx: WriteContext, since: datetime) -> Select[Any]:
        """The distinct keys (live key column names) with a change at or after ``since``."""

    def states_where(self, ctx: WriteContext, at: datetime, keys: ColumnElement[bool] | None,
                     ) -> Iterator[tuple[tuple[Any, ...], dict[str, Any] | None]]:
        """(key, state at ``at``) for the keys ``keys`` selects on the store; None: the row did not exist then.
        By default read through ``state_query``."""
        query = self.state_query(ctx, at, few=keys is not None)
        if query is None:
            raise NotImplementedError(f"{type(self).__name__} has no state query")
        if keys is not None:
            query = query.where(keys)
        columns, width = self.recorded(ctx), len(ctx.det.key)
        gone = GONE in query.selected_columns.keys()
        for row in ctx.conn.execute(query):  # plain tuples, only the columns used: cheap for 100,000 rows
            yield tuple(row[:width]), None if gone and row[width] else \
                dict(zip(columns, row[width + gone:], strict=True))

    def state_query(self, ctx: WriteContext, at: datetime, *, few: bool = False) -> Select[Any] | None:
        """The state at ``at`` of every key the store decides, as one SELECT of the store (for planning in SQL):
        the key and the restorable columns under the live names, as stored, and optionally ``chrono_gone`` (true:
        the row did not exist then); at most one row per key; ``few``: in the form cheap when a condition on the
        key picks a few. None: the states are decided in Python."""
        return None

    @abc.abstractmethod
    def steps(self, ctx: WriteContext, stage: Table, columns: Sequence[str]) -> list[Step]:
        """The statements that restore every staged row and record it as the library would."""

    def undo(self, ctx: WriteContext, group: Any) -> dict[tuple[Any, ...], Undo] | None:
        """Every key the change set ``group`` (a store transaction id, or the ``Span`` of an inferred set) changed,
        with what it did and the live row; None: this store cannot answer set-based (a revert then reads each
        row's timeline). For a span, ``op`` is the set's first change of the key, ``made`` the state after its
        last, ``before`` the state before its first."""
        return None

    def undo_query(self, ctx: WriteContext, group: Any) -> Select[Any] | None:
        """``undo`` as one SELECT of the store, for a revert planned in SQL (optional: None, the revert plans each
        row in Python from ``undo``): one row per key the change set ``group`` changed, with the key (live
        names), ``UNDO_OP``, ``UNDO_LATER``, ``UNDO_BEFORE``, ``UNDO_MADE``, the state before the change set (the
        ``recorded`` columns under their live names, as stored) and the state it left (``MADE`` + the column's
        position). Both states are read from the store's own rows, never the live row: the plan document reads
        them again after the revert is written."""
        return None

    def delete_steps(self, ctx: WriteContext, stage: Table) -> list[Step]:
        """The statements that delete every staged live row and record the deletions as the library would."""
        raise UnsupportedOperation(f"a set-based delete is not available for {ctx.det.adapter} tables")

    def keys_since(self, ctx: WriteContext, since: datetime) -> list[tuple[Any, ...]]:
        """The keys changed at or after ``since`` (one query)."""
        return [tuple(r) for r in ctx.conn.execute(self.changed_since(ctx, since))]

    def states(self, ctx: WriteContext, at: datetime, keys: Sequence[tuple[Any, ...]],
               since: datetime | None = None) -> dict[tuple[Any, ...], dict[str, Any] | None]:
        """The state at ``at`` of each of ``keys`` that the store answers for.

        With ``since`` (``keys`` being the keys changed since), one query; else one per chunk of keys. A key
        left out has no store row that decides: unchanged since ``at`` where ``missing_is_current``, else it did
        not exist at ``at``.
        """
        where = self.key_filter(ctx, ctx.store, keys, since)
        out: dict[tuple[Any, ...], dict[str, Any] | None] = {}
        for cond in where:
            out.update(self.states_where(ctx, at, cond))
        return out

    def live_rows(self, ctx: WriteContext, keys: Sequence[tuple[Any, ...]],
                  since: datetime | None) -> dict[tuple[Any, ...], dict[str, Any]]:
        """The live rows of ``keys`` (or of the keys changed since ``since``), by key."""
        live = ctx.live
        names = list(live.columns.keys())
        at = [names.index(c) for c in ctx.det.key]
        out: dict[tuple[Any, ...], dict[str, Any]] = {}
        for where in self.key_filter(ctx, live, keys, since):
            for row in ctx.conn.execute(select(live).where(where)):  # plain tuples: cheap for 100,000 rows
                out[tuple(row[i] for i in at)] = dict(zip(names, row, strict=True))
        return out

    def key_filter(self, ctx: WriteContext, table: Table, keys: Sequence[tuple[Any, ...]],
                   since: datetime | None) -> Iterator[ColumnElement[bool]]:
        """Conditions on ``table``'s key columns selecting ``keys``: the changed-since subquery, or IN chunks."""
        cols = [table.c[c] for c in ctx.det.key]
        if since is not None:
            changed = self.changed_since(ctx, since).subquery()
            yield tuple_(*cols).in_(select(*changed.c)) if len(cols) > 1 else cols[0].in_(select(*changed.c))
            return
        for i in range(0, len(keys), CHUNK):
            chunk = list(keys[i:i + CHUNK])
            yield tuple_(*cols).in_(chunk) if len(cols) > 1 else cols[0].in_([k[0] for k in chunk])


def exact_times(ctx: WriteContext, column: Column[Any]) -> bool:
    """On SQLite, whether the time column ``column`` of a table holds only exact text (``sqlite_exact``), so
    it compares as it is: asked once per write (the plan and the write each ask in their own transaction; the
    write's fingerprints catch a plan made on values changed meanwhile). False elsewhere."""
    if ctx.conn.dialect.name != "sqlite":
        return False
    memo = ctx.shared.memo("sqlite_exact")
    where = (column.table.name, column.name)
    if where not in memo:
        memo[where] = sqlite_exact(ctx.conn, column)
    return bool(memo[where])


def locked_rows(ctx: WriteContext, table: Table) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Lock the live rows of the staged keys (FOR UPDATE) and return them as plain tuples, by key."""
    live = ctx.live
    width = len(ctx.det.key)
    rows = ctx.conn.execute(select(*(live.c[c] for c in ctx.det.key), *live.columns)
                            .select_from(live.join(table, joined(ctx, table, live))).with_for_update(of=live))
    return {tuple(r[:width]): tuple(r[width:]) for r in rows}


def joined(ctx: WriteContext, stage: Table, table: Table) -> ColumnElement[bool]:
    """``table`` rows of the staged keys."""
    return and_(*(table.c[c] == stage.c[c] for c in ctx.det.key))


def update_live(ctx: WriteContext, stage: Table, columns: Sequence[str], extra: dict[str, Any] | None = None) -> Step:
    """UPDATE the live rows from the stage (``UPDATE ... FROM`` / multi-table UPDATE), the re-inserts left out; so
    are the columns no staged row changes (``staging.KEPT``): writing a value over itself still rewrites each
    index on the column (on SQLite, a unique email index doubled the UPDATE's cost)."""
    live = ctx.live
    kept = stage.info.get(KEPT, ())
    values: dict[str, Any] = {c: stage.c[c] for c in columns if c not in ctx.det.key and c not in kept}
    values.update(extra or {})
    return Step(update(live).values(values).where(joined(ctx, stage, live), stage.c[ABSENT].is_(False)),
                "live rows: the restored values (one UPDATE for all)")


def insert_live(ctx: WriteContext, stage: Table, columns: Sequence[str], extra: dict[str, Any] | None = None) -> Step:
    """INSERT the rows that are gone from the stage."""
    names = list(ctx.det.key) + [c for c in columns if c not in ctx.det.key]
    exprs: list[Any] = [stage.c[c] for c in names]
    for name, expr in (extra or {}).items():
        names.append(name)
        exprs.append(expr)
    query = select(*exprs).where(stage.c[ABSENT].is_(True))
    return Step(insert(ctx.live_info.insert_table()).from_select(names, query),
                "live rows re-created (one INSERT for all)")


def mark_objects(stage: Table, covered: bool) -> Table:
    """Note on ``stage`` that its write is part of one writing joined-inheritance objects whole (``OBJECTS``)."""
    stage.info[OBJECTS] = covered
    return stage


def delete_live(ctx: WriteContext, stage: Table) -> Step:
    """DELETE the live rows of the staged keys."""
    live = ctx.live
    return Step(delete(live).where(exists().where(joined(ctx, stage, live))), "live rows deleted (one DELETE for all)")
