"""Set-based restores for stores whose rows hold the state *before* a change (history_meta, Chrononaut 0.2).

State at T: the key's first history row (by version) stamped after T, else the live row (unchanged since).
Statements: one INSERT ... SELECT of every staged live row into the store (its current state, under its
current version, stamped now: what the library writes before an update), one UPDATE ... FROM setting the
restored values and version + 1, and one INSERT of the rows that are gone with version = max(history) + 1
(no history row, as for a single undelete).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Table, and_, exists, func, insert, literal, select
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.shapes.bulk import BulkWriter, insert_live, joined, update_live
from chrono_cli.conventions.shapes.staging import ABSENT
from chrono_cli.conventions.shapes.window import time_pair
from chrono_cli.conventions.writes.base import Step, WriteContext
from chrono_cli.conventions.writes.values import insert_table, stamp


class OldStateBulk(BulkWriter):
    """A paired old-state store (history_meta's ``version`` and ``changed``; subclasses add metadata columns)."""

    missing_is_current = True
    raw_states = True
    meta_columns: ClassVar[frozenset[str]] = frozenset({"version", "changed"})

    def extra(self, ctx: WriteContext) -> dict[str, Any]:
        """Values of the store's metadata columns other than version and time."""
        return {}

    def recorded(self, ctx: WriteContext) -> list[str]:
        data = set(ctx.store_info.columns) - self.meta_columns - self.bookkeeping(ctx)
        return [c for c in ctx.live_info.columns if c in data and c not in ctx.det.key]

    def _time(self, ctx: WriteContext, value: datetime) -> tuple[Any, Any]:
        store = ctx.store
        return time_pair(store.c[ctx.det.time_col or "changed"], value, ctx.config.timezone, ctx.conn.dialect.name)

    def changed_since(self, ctx: WriteContext, since: datetime) -> Select[Any]:
        col, value = self._time(ctx, since)
        return select(*(ctx.store.c[c] for c in ctx.det.key)).where(col >= value).distinct()

    def states_where(self, ctx: WriteContext, at: datetime, keys: ColumnElement[bool] | None,
                     ) -> Iterator[tuple[tuple[Any, ...], dict[str, Any] | None]]:
        store, names = ctx.store, list(ctx.det.key)
        vcol = ctx.det.version_col or "version"
        later = store.alias("later")
        col, value = self._time(ctx, at)
        lcol, _ = time_pair(later.c[ctx.det.time_col or "changed"], at, ctx.config.timezone, ctx.conn.dialect.name)
        earlier_after = exists().where(and_(*(later.c[c] == store.c[c] for c in names)), lcol > value,
                                       later.c[vcol] < store.c[vcol])
        columns = self.recorded(ctx)
        width = len(names)
        query = select(*(store.c[c] for c in names), *(store.c[c] for c in columns)).where(col > value, ~earlier_after)
        if keys is not None:
            query = query.where(keys)
        for row in ctx.conn.execute(query):  # plain tuples, only the columns used: cheap for 100,000 rows
            yield tuple(row[:width]), dict(zip(columns, row[width:], strict=True))

    def steps(self, ctx: WriteContext, stage: Table, columns: Sequence[str]) -> list[Step]:
        live, store = ctx.live, ctx.store
        vcol = ctx.det.version_col or "version"
        tcol = ctx.det.time_col or "changed"
        now = stamp(ctx.now, ctx.store_info.columns[tcol].type, ctx.config.timezone)
        data = [c for c in ctx.store_info.columns if c not in self.meta_columns and c != vcol]
        names = data + [vcol, tcol]
        exprs: list[Any] = [live.c[c] if c in live.c else literal(None) for c in data]
        exprs += [func.coalesce(live.c[vcol], 0), literal(now, ctx.store_info.columns[tcol].type)]
        for name, value in self.extra(ctx).items():
            names.append(name)
            exprs.append(literal(value, store.c[name].type))
        history = (select(*exprs).select_from(live.join(stage, joined(ctx, stage, live)))
                   .where(stage.c[ABSENT].is_(False)))
        top = select(func.coalesce(func.max(store.c[vcol]), 0) + 1).where(
            and_(*(store.c[c] == stage.c[c] for c in ctx.det.key))).scalar_subquery()
        return [Step(insert(insert_table(ctx.store_info)).from_select(names, history),
                     "history rows: the state before the restore, under its version (one INSERT for all)"),
                update_live(ctx, stage, columns, {vcol: func.coalesce(live.c[vcol], 0) + 1}),
                insert_live(ctx, stage, columns, {vcol: top})]


