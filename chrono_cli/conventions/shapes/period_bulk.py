"""Set-based restores for period conventions whose triggers keep history (periods extension, temporal_tables).

State at T: the key's history row whose period contains T; else the live row when its period started by T
(unchanged since); a live row whose period starts after T and no history row containing T: the row did not
exist then. Statements: one UPDATE ... FROM and one INSERT ... SELECT of the base table only; the triggers
archive each replaced row and stamp the new periods, as for single restores. A set-based revert (``undo``,
shapes/period_undo.py) writes the same, and deletes the rows the set created with one DELETE (archived by the
triggers, as a single delete is).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select, union
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.shapes.bulk import BulkWriter, Span, Undo, delete_live, insert_live, update_live
from chrono_cli.conventions.shapes.common import declared
from chrono_cli.conventions.shapes.period import unversioned
from chrono_cli.conventions.shapes.period_events import bound_columns
from chrono_cli.conventions.shapes.period_undo import period_undo
from chrono_cli.conventions.shapes.period_write import PeriodTriggerWriter, check_archivers
from chrono_cli.conventions.shapes.window import time_pair
from chrono_cli.conventions.writes.base import Step, WriteContext
from chrono_cli.records import replace


class PeriodBulk(BulkWriter):
    """Restore many rows of a trigger-versioned period table: base-table DML only."""

    missing_is_current = True

    def __init__(self, writer: PeriodTriggerWriter) -> None:
        self.writer = writer

    def check(self, ctx: WriteContext) -> None:
        check_archivers(self.writer, ctx)

    def bookkeeping(self, ctx: WriteContext) -> frozenset[str]:
        return frozenset(declared(ctx.det).layout.roles.values())

    def recorded(self, ctx: WriteContext) -> list[str]:
        dec = declared(ctx.det)
        skip = set(ctx.det.key) | self.bookkeeping(ctx) | set(unversioned(ctx.det)) | set(ctx.config.unrecorded)
        data = {b for _, b in dec.data}
        return [c for c in ctx.live_info.columns if c in data and c not in skip]

    def _bounds(self, ctx: WriteContext, table: Table) -> tuple[Any, Any]:
        return bound_columns(declared(ctx.det), table)

    def _cmp(self, ctx: WriteContext, column: Any, value: datetime) -> tuple[Any, Any]:
        return time_pair(column, value, ctx.config.timezone, ctx.conn.dialect.name)

    def changed_since(self, ctx: WriteContext, since: datetime) -> Select[Any]:
        store, live = ctx.store, ctx.live
        _, end = self._bounds(ctx, store)
        start, _ = self._bounds(ctx, live)
        closed, at = self._cmp(ctx, end, since)
        opened, at2 = self._cmp(ctx, start, since)
        keys = union(select(*(store.c[c] for c in declared(ctx.det).key)).where(closed >= at),
                     select(*(live.c[c] for c in ctx.det.key)).where(opened >= at2)).subquery()
        return select(*keys.c)

    def states_where(self, ctx: WriteContext, at: datetime, keys: ColumnElement[bool] | None,
                     ) -> Iterator[tuple[tuple[Any, ...], dict[str, Any] | None]]:
        store, live, dec = ctx.store, ctx.live, declared(ctx.det)
        start, end = self._bounds(ctx, store)
        s, when = self._cmp(ctx, start, at)
        e, _ = self._cmp(ctx, end, at)
        query = select(store).where(s <= when, e > when)
        if keys is not None:
            query = query.where(keys)
        columns = {b: h for h, b in dec.data}
        wanted = self.recorded(ctx)
        seen: set[tuple[Any, ...]] = set()
        for row in ctx.conn.execute(query).mappings():
            key = tuple(row[c] for c in dec.key)
            seen.add(key)
            yield key, {c: row[columns[c]] for c in wanted}
        lstart, _ = self._bounds(ctx, live)
        ls, lwhen = self._cmp(ctx, lstart, at)
        later = select(*(live.c[c] for c in ctx.det.key)).where(ls > lwhen)
        if keys is not None:
            later = later.where(_on(keys, store, live))
        for found in ctx.conn.execute(later):
            if tuple(found) not in seen:
                yield tuple(found), None  # its period began after T and no history row holds T: not there then

    def undo(self, ctx: WriteContext, group: Any) -> dict[tuple[Any, ...], Undo] | None:
        """An inferred set's keys (``group``: a ``Span``; see shapes/period_undo.py); None for anything else."""
        return period_undo(self, ctx, group) if isinstance(group, Span) else None

    def steps(self, ctx: WriteContext, stage: Table, columns: Sequence[str]) -> list[Step]:
        return [replace(step, label=step.label + self._kept(ctx))
                for step in (update_live(ctx, stage, columns), insert_live(ctx, stage, columns))]

    def delete_steps(self, ctx: WriteContext, stage: Table) -> list[Step]:
        """One DELETE of the staged live rows, as the single-row writer deletes each: the triggers archive them."""
        step = delete_live(ctx, stage)
        return [replace(step, label=step.label + self._kept(ctx))]

    def _kept(self, ctx: WriteContext) -> str:
        return f"; the triggers keep {ctx.det.store}, chrono writes no history row"


def _on(keys: ColumnElement[bool], store: Table, live: Table) -> ColumnElement[bool]:
    """A key condition written for the store, moved onto the live table (same key column names)."""
    from sqlalchemy.sql.visitors import replacement_traverse

    def swap(element: Any, **kw: Any) -> Any:
        if getattr(element, "table", None) is store and element.key in live.c:
            return live.c[element.key]
        return None

    opts: dict[str, Any] = {}
    return replacement_traverse(keys, opts, swap)
