"""Set-based restores for stores whose rows hold the state *before* a change (history_meta, Chrononaut 0.2), and
what an inferred change set did to their keys (``undo``, shapes/old_state_undo.py).

State at T: the key's first history row (by version) stamped after T, else the live row (unchanged since).
Statements: one INSERT ... SELECT of every staged live row into the store (its current state, under its
current version, stamped now: what the library writes before an update), one UPDATE ... FROM setting the
restored values and version + 1, and one INSERT of the rows that are gone with version = max(history) + 1
(no history row, as for a single undelete).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Table, and_, exists, func, insert, literal, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.sql import Select

from chrono_cli.conventions.shapes.bulk import BulkWriter, Span, Undo, exact_times, insert_live, joined, update_live
from chrono_cli.conventions.shapes.old_state_undo import old_state_undo, old_state_undo_query
from chrono_cli.conventions.shapes.staging import ABSENT
from chrono_cli.conventions.shapes.window import time_pair
from chrono_cli.conventions.writes.base import Step, WriteContext
from chrono_cli.conventions.writes.values import stamp


class OldStateBulk(BulkWriter):
    """A paired old-state store (history_meta's ``version`` and ``changed``; subclasses add metadata columns)."""

    missing_is_current = True
    raw_states = True
    states_after = True
    meta_columns: ClassVar[frozenset[str]] = frozenset({"version", "changed"})

    def extra(self, ctx: WriteContext) -> dict[str, Any]:
        """Values of the store's metadata columns other than version and time."""
        return {}

    def recorded(self, ctx: WriteContext) -> list[str]:
        data = set(ctx.store_info.columns) - self.meta_columns - self.bookkeeping(ctx) - self.unwritten(ctx)
        return [c for c in ctx.live_info.columns if c in data and c not in ctx.det.key]

    def unwritten(self, ctx: WriteContext) -> frozenset[str]:
        """Store columns the library never writes: NULL in its rows, so neither restored nor copied."""
        return frozenset()

    def _time(self, ctx: WriteContext, value: datetime, table: Any = None) -> tuple[Any, Any]:
        """The store's time column (of ``table``, an alias of the store) and ``value``, compared correctly."""
        name = ctx.det.time_col or "changed"
        exact = exact_times(ctx, ctx.store.c[name])
        column = (ctx.store if table is None else table).c[name]
        return time_pair(column, value, ctx.config.timezone, ctx.conn.dialect.name, exact=exact)

    def changed_since(self, ctx: WriteContext, since: datetime) -> Select[Any]:
        col, value = self._time(ctx, since)
        return select(*(ctx.store.c[c] for c in ctx.det.key)).where(col >= value).distinct()

    def state_query(self, ctx: WriteContext, at: datetime, *, few: bool = False) -> Select[Any]:
        """The key's first history row (by version) stamped after ``at`` (keys with none are unchanged since):
        PostgreSQL's DISTINCT ON, SQLite's min() with bare columns, MariaDB a join with each key's lowest such
        version."""
        return self._first_after(ctx, at, whole=not few)

    def _first_after(self, ctx: WriteContext, at: datetime, *, whole: bool) -> Select[Any]:
        """The first history row after ``at`` of each key; not ``whole``: the form that is cheap for a few keys
        (each row checked for an earlier one after ``at``) where PostgreSQL's DISTINCT ON is missing."""
        store, names = ctx.store, list(ctx.det.key)
        vcol = store.c[ctx.det.version_col or "version"]
        col, value = self._time(ctx, at)
        keys = [store.c[c] for c in names]
        recorded = [store.c[c] for c in self.recorded(ctx)]
        query = select(*keys, *recorded)
        if ctx.conn.dialect.name == "postgresql":
            return query.where(col > value).order_by(*keys, vcol).ext(distinct_on(*keys))
        if whole and ctx.conn.dialect.name == "sqlite":
            # SQLite reads a bare column of a query with one min() from the row holding the minimum: each key's
            # first row after ``at`` in one pass over the store, not joined back to it by version
            first = select(*keys, *recorded, func.min(vcol).label("chrono_first")).where(col > value).group_by(
                *keys).subquery()
            return select(*(first.c[c.name] for c in (*keys, *recorded)))
        if whole:
            first = select(*keys, func.min(vcol).label("chrono_first")).where(col > value).group_by(*keys).subquery()
            return query.select_from(store.join(first, and_(*(first.c[c] == store.c[c] for c in names),
                                                            vcol == first.c.chrono_first)))
        later = store.alias("later")
        lcol, _ = self._time(ctx, at, later)
        return query.where(col > value, ~exists().where(and_(*(later.c[c] == store.c[c] for c in names)),
                                                        lcol > value, later.c[vcol.name] < vcol))

    def undo(self, ctx: WriteContext, group: Any) -> dict[tuple[Any, ...], Undo] | None:
        """An inferred set's keys (``group``: a ``Span``; see shapes/old_state_undo.py); None for anything else."""
        return old_state_undo(self, ctx, group) if isinstance(group, Span) else None

    def undo_query(self, ctx: WriteContext, group: Any) -> Select[Any] | None:
        """``undo`` as one SELECT (shapes/old_state_undo.py)."""
        return old_state_undo_query(self, ctx, group) if isinstance(group, Span) else None

    def steps(self, ctx: WriteContext, stage: Table, columns: Sequence[str]) -> list[Step]:
        live, store = ctx.live, ctx.store
        vcol = ctx.det.version_col or "version"
        tcol = ctx.det.time_col or "changed"
        now = stamp(ctx.now, ctx.store_info.columns[tcol].type, ctx.config.timezone)
        data = [c for c in ctx.store_info.columns if c not in self.meta_columns and c != vcol]
        names = data + [vcol, tcol]
        unwritten = self.unwritten(ctx)
        exprs: list[Any] = [live.c[c] if c in live.c and c not in unwritten else literal(None) for c in data]
        exprs += [func.coalesce(live.c[vcol], 0), literal(now, ctx.store_info.columns[tcol].type)]
        for name, value in self.extra(ctx).items():
            names.append(name)
            exprs.append(literal(value, store.c[name].type))
        history = (select(*exprs).select_from(live.join(stage, joined(ctx, stage, live)))
                   .where(stage.c[ABSENT].is_(False)))
        top = select(func.coalesce(func.max(store.c[vcol]), 0) + 1).where(
            and_(*(store.c[c] == stage.c[c] for c in ctx.det.key))).scalar_subquery()
        return [Step(insert(ctx.store_info.insert_table()).from_select(names, history),
                     "history rows: the state before the restore, under its version (one INSERT for all)"),
                update_live(ctx, stage, columns, {vcol: func.coalesce(live.c[vcol], 0) + 1}),
                insert_live(ctx, stage, columns, {vcol: top})]


