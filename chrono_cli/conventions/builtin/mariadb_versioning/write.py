"""Writes on system-versioned tables: ordinary UPDATE / INSERT / DELETE of the live row; the server writes the
history itself (it refuses writes to period columns and history rows, and chrono never tries).

Only versioned columns are restored: the period columns are the server's, and a column ``WITHOUT SYSTEM
VERSIONING`` has no recorded past, so it keeps its current value (or its default on an undelete). A restore
to the current state is refused as a no-op before anything is written: the server would write a version.

Bulk restore reads every state at T in one query (``FOR SYSTEM_TIME AS OF`` on a timestamp table, as_of.py's on a
transaction-precise one), stages it, and writes the live
rows with one multi-table UPDATE and one INSERT ... SELECT; each written row gets its version from the server.
A set-based revert (undo.py) writes the same, and deletes the rows the set created with one DELETE; where every row
is a plain restore of a set of one time, it is planned and staged by the database (``undo_query``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, delete, func, insert, or_, select, update
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.base import Detection, EventQuery
from chrono_cli.conventions.builtin.mariadb_versioning.adapter import MariaDBVersioningAdapter
from chrono_cli.conventions.builtin.mariadb_versioning.as_of import GONE, states_at
from chrono_cli.conventions.builtin.mariadb_versioning.options import VersioningOptions, read_table
from chrono_cli.conventions.builtin.mariadb_versioning.systime import AS_OF, SystemTime
from chrono_cli.conventions.builtin.mariadb_versioning.undo import precise_undo, versioning_undo, versioning_undo_query
from chrono_cli.conventions.rows import key_where
from chrono_cli.conventions.shapes.bulk import BulkWriter, Span, Undo, delete_live, insert_live, update_live
from chrono_cli.conventions.writes.base import Step, WriteContext, Writer, WriteSet
from chrono_cli.model import FieldChange, RowKey, Timeline

SERVER = "the server writes the history row itself (system versioning); chrono writes only the live row"


class VersioningWriter(Writer):
    """Plain DML on the live table."""

    def bookkeeping(self, det: Detection) -> frozenset[str]:
        return frozenset(det.opts(VersioningOptions).bookkeeping())

    def store_where(self, ctx: WriteContext, key: RowKey) -> ColumnElement[bool] | None:
        return None  # history rows are the server's: never locked, never written

    def history_count(self, ctx: WriteContext, key: RowKey) -> int:
        table = read_table(ctx.live_info, ctx.det.opts(VersioningOptions))
        return int(ctx.conn.execute(select(func.count()).select_from(SystemTime(table))
                                    .where(key_where(table, key))).scalar_one())

    def update(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any], new: Mapping[str, Any],
               changes: Sequence[FieldChange], timeline: Timeline | None) -> WriteSet:
        live = ctx.live
        values = {c.column: new[c.column] for c in changes}
        return WriteSet([Step(update(live).where(key_where(live, key)).values(values),
                              "live row (the server closes its current version and opens the next)", expect=1)],
                        [SERVER])

    def insert(self, ctx: WriteContext, key: RowKey, new: Mapping[str, Any], timeline: Timeline) -> WriteSet:
        return WriteSet([Step(insert(ctx.live_info.insert_table()).values(dict(new)),
                              "live row re-created (the server opens a new version)")],
                        [SERVER, "the deleted versions stay as they are"])

    def delete(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any],
               timeline: Timeline | None) -> WriteSet:
        live = ctx.live
        return WriteSet([Step(delete(live).where(key_where(live, key)),
                              "live row deleted (the server closes its current version)", expect=1)], [SERVER])

    def deleted_keys(self, ctx: WriteContext, limit: int | None = None) -> list[RowKey]:
        table = read_table(ctx.live_info, ctx.det.opts(VersioningOptions))
        names = ctx.det.key
        live = ctx.live.alias("live_rows")
        present = select(live.c[names[0]]).where(and_(*(live.c[c] == table.c[c] for c in names))).exists()
        cols = [table.c[c] for c in names]
        query = select(*cols).select_from(SystemTime(table)).where(~present).distinct().order_by(*cols)
        if limit is not None:
            query = query.limit(limit)
        return [RowKey(tuple(zip(names, row, strict=True))) for row in ctx.conn.execute(query)]


class VersioningBulk(BulkWriter):
    """States at T from one ``FOR SYSTEM_TIME AS OF`` query; the live rows written set-based."""

    undo_listed = True  # a transaction-precise set's keys in the listing's order (``precise_undo``)
    # the states are the table's own rows, columns and types: history rows are converted by any ALTER of the table
    raw_states = True

    def bookkeeping(self, ctx: WriteContext) -> frozenset[str]:
        return frozenset(ctx.det.opts(VersioningOptions).bookkeeping())

    def recorded(self, ctx: WriteContext) -> list[str]:
        opts = ctx.det.opts(VersioningOptions)
        skip = {*opts.bookkeeping(), *opts.unversioned, *ctx.det.key}
        return [c for c in ctx.live_info.columns if c not in skip]

    def changed_since(self, ctx: WriteContext, since: datetime) -> Select[Any]:
        opts = ctx.det.opts(VersioningOptions)
        table = read_table(ctx.live_info, opts)
        conds = MariaDBVersioningAdapter.conditions(table, opts, EventQuery(since=since))
        return select(*(table.c[c] for c in ctx.det.key)).select_from(SystemTime(table)).where(or_(*conds)).distinct()

    def states(self, ctx: WriteContext, at: datetime, keys: Sequence[tuple[Any, ...]],
               since: datetime | None = None) -> dict[tuple[Any, ...], dict[str, Any] | None]:
        """By lists of keys, never by the changed-since subquery: MariaDB 10.11 answers ``AS OF`` with the
        current rows when the WHERE holds an IN subquery over ``FOR SYSTEM_TIME ALL`` (seen on 10.11.19)."""
        return super().states(ctx, at, keys, None)

    def states_where(self, ctx: WriteContext, at: datetime, keys: ColumnElement[bool] | None,
                     ) -> Iterator[tuple[tuple[Any, ...], dict[str, Any] | None]]:
        """``FOR SYSTEM_TIME AS OF`` on a timestamp table; by commit order on a transaction-precise one, whose
        ``AS OF`` leaves out rows an overlapping transaction changed (as_of.py)."""
        opts = ctx.det.opts(VersioningOptions)
        table = read_table(ctx.live_info, opts)
        names, columns = list(ctx.det.key), self.recorded(ctx)
        same = (ctx.store, ctx.live)
        if opts.transaction_precise:
            query = states_at(table, opts, names, columns, at, keys, same)
        else:
            query = select(*(table.c[c] for c in (*names, *columns))).select_from(SystemTime(table, AS_OF, at=at,
                                                                                             same=same))
            if keys is not None:
                query = query.where(keys)
        for row in ctx.conn.execute(query).mappings():
            yield tuple(row[c] for c in names), None if row.get(GONE) else {c: row[c] for c in columns}

    def undo(self, ctx: WriteContext, group: Any) -> dict[tuple[Any, ...], Undo] | None:
        """An inferred set's keys (``group``: a ``Span``), or a transaction-precise table's of transaction ``group``
        (see undo.py); None for anything else."""
        if isinstance(group, Span):
            return versioning_undo(self, ctx, group)
        return precise_undo(self, ctx, group) if isinstance(group, int) else None

    def undo_query(self, ctx: WriteContext, group: Any) -> Select[Any] | None:
        """``undo`` as one SELECT for an inferred set of one time on a timestamp table (undo.py)."""
        return versioning_undo_query(self, ctx, group) if isinstance(group, Span) else None

    def steps(self, ctx: WriteContext, stage: Table, columns: Sequence[str]) -> list[Step]:
        return [update_live(ctx, stage, columns), insert_live(ctx, stage, columns)]

    def delete_steps(self, ctx: WriteContext, stage: Table) -> list[Step]:
        """One DELETE of the staged live rows, as the single-row writer deletes each: the server closes their
        current versions."""
        return [delete_live(ctx, stage)]
