"""Continuum's set-based restore (state at T: the key's newest version row up to the newest transaction issued at
or before T; a delete row, or none, means the record did not exist then).

One transaction row for the whole restore, then (python-side versioning) close the staged keys' open version
rows, one INSERT ... SELECT of the new version rows (operation_type 1, or 0 for a re-insert; ``_mod`` = old IS
DISTINCT FROM new), ``transaction_changes`` and ``transaction_meta`` once; then the live rows. Native
versioning: the transaction row and the live rows only (the triggers write the rest). For ``chrono revert``: what
a transaction did to each of its keys (three queries) and the set-based delete of the rows it created; the tables of
one revert share its transaction row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, case, exists, false, func, insert, literal, select, true, tuple_
from sqlalchemy.sql import Select

from chrono_cli.conventions.builtin.continuum.adapter import entity_name
from chrono_cli.conventions.builtin.continuum.joined import is_joined
from chrono_cli.conventions.builtin.continuum.options import ContinuumOptions
from chrono_cli.conventions.builtin.continuum.write import ContinuumWriter, actor_notes, is_link
from chrono_cli.conventions.shapes.bulk import (
    GONE,
    MADE,
    UNDO_BEFORE,
    UNDO_LATER,
    UNDO_MADE,
    UNDO_OP,
    BulkWriter,
    Undo,
    delete_live,
    insert_live,
    joined,
    update_live,
)
from chrono_cli.conventions.shapes.staging import ABSENT
from chrono_cli.conventions.shapes.window import time_pair
from chrono_cli.conventions.writes.base import Step, WriteContext, find_info
from chrono_cli.conventions.writes.values import insert_table
from chrono_cli.errors import Refused, UnsupportedOperation


class ContinuumBulk(BulkWriter):
    """SQLAlchemy-Continuum ``<table>_version`` + ``transaction``."""

    raw_states = True

    def bookkeeping(self, ctx: WriteContext) -> frozenset[str]:
        return frozenset(a.name for a in ctx.det.opts(ContinuumOptions).associations)

    def recorded(self, ctx: WriteContext) -> list[str]:
        versioned = set(ctx.det.opts(ContinuumOptions).versioned_columns)
        return [c for c in ctx.live_info.columns if c in versioned and c not in ctx.det.key]

    def _tx(self, ctx: WriteContext) -> Table:
        name = ctx.det.opts(ContinuumOptions).transaction_table
        info = find_info(ctx, name)
        if info is None:
            raise Refused(f"the transaction table {name} is not in the schema")
        return info.table()

    def _issued(self, ctx: WriteContext, tx: Table, value: datetime) -> tuple[Any, Any]:
        return time_pair(tx.c.issued_at, value, ctx.config.timezone, ctx.conn.dialect.name)

    def changed_since(self, ctx: WriteContext, since: datetime) -> Select[Any]:
        tx, v = self._tx(ctx), ctx.store
        col, value = self._issued(ctx, tx, since)
        txcol = v.c[ctx.det.opts(ContinuumOptions).transaction_column]
        return select(*(v.c[c] for c in ctx.det.key)).where(txcol.in_(select(tx.c.id).where(col >= value))).distinct()

    def state_query(self, ctx: WriteContext, at: datetime, *, few: bool = False) -> Select[Any]:
        """The key's newest version row up to the newest transaction issued at or before ``at`` (gone: a delete
        row); none at all when no transaction was issued by then."""
        o = ctx.det.opts(ContinuumOptions)
        tx, v = self._tx(ctx), ctx.store
        col, value = self._issued(ctx, tx, at)
        top = ctx.conn.execute(select(func.max(tx.c.id)).where(col <= value)).scalar()
        names, txc = list(ctx.det.key), o.transaction_column
        query = select(*(v.c[c] for c in names), (v.c[o.operation_type_column] == 2).label(GONE),
                       *(v.c[c] for c in self.recorded(ctx)))
        if top is None:
            return query.where(false())
        newer = v.alias("newer")
        return query.where(v.c[txc] <= top, ~exists().where(
            and_(*(newer.c[c] == v.c[c] for c in names)), newer.c[txc] > v.c[txc], newer.c[txc] <= top))

    def steps(self, ctx: WriteContext, stage: Table, columns: Sequence[str]) -> list[Step]:
        self.check(ctx)
        steps, x = self._opening(ctx)
        if not ctx.det.opts(ContinuumOptions).native:
            steps += self._versions(ctx, stage, columns, x)
        steps += self._meta(ctx, x)
        steps += [update_live(ctx, stage, columns), insert_live(ctx, stage, columns)]
        return steps

    def delete_steps(self, ctx: WriteContext, stage: Table) -> list[Step]:
        """Close the staged keys' open version rows, one INSERT ... SELECT of their operation_type 2 version rows
        (the last state, every ``_mod`` true), then delete the live rows (native versioning: the triggers)."""
        o = ctx.det.opts(ContinuumOptions)
        self.check(ctx)
        steps, x = self._opening(ctx)
        if not o.native:
            steps += self._close(ctx, stage, x)
            live, info = ctx.live, ctx.store_info
            internal = {o.transaction_column, o.operation_type_column, o.end_transaction_column}
            flags = set(o.mod_columns.values())
            names = [c for c in info.columns if c not in internal]
            exprs = [true() if c in flags else live.c[c] if c in live.c else literal(None) for c in names]
            names += [o.transaction_column, o.operation_type_column]
            exprs += [x, literal(2)]
            query = select(*exprs).select_from(live.join(stage, joined(ctx, stage, live)))
            steps.append(Step(insert(insert_table(info)).from_select(names, query),
                              "version rows: the last states, operation_type 2 (one INSERT for all)"))
            steps += self._changes(ctx, x)
        return steps + self._meta(ctx, x) + [delete_live(ctx, stage)]

    def undo(self, ctx: WriteContext, group: Any) -> dict[tuple[Any, ...], Undo] | None:
        """Transaction ``group``'s version row of each key with its live row, the newest older version row and
        whether a newer one exists (three queries); None where a record's timeline holds more than its version rows
        (associations, joined inheritance)."""
        o = ctx.det.opts(ContinuumOptions)
        if o.associations or o.inherits or not isinstance(group, int):
            return None
        v, live, names = ctx.store, ctx.live, list(ctx.det.key)
        txc, opc = o.transaction_column, o.operation_type_column
        columns = self.recorded(ctx)
        width, at, lnames = len(names), len(names) + 1 + len(columns), list(live.columns.keys())
        made = v.alias("made")
        keys = [v.c[c] for c in names]
        mine = (tuple_(*keys) if width > 1 else keys[0]).in_(select(*(made.c[c] for c in names))
                                                             .where(made.c[txc] == group))
        made_by: dict[tuple[Any, ...], tuple[int, dict[str, Any] | None, dict[str, Any] | None]] = {}
        query = (select(*keys, v.c[opc], *(v.c[c] for c in columns), live.c[names[0]].is_not(None), *live.columns)
                 .select_from(v.outerjoin(live, and_(*(live.c[c] == v.c[c] for c in names))))
                 .where(v.c[txc] == group))
        for row in ctx.conn.execute(query):  # plain tuples: cheap for 100,000 rows
            op = row[width]
            made_by[tuple(row[:width])] = (op, None if op == 2 else dict(zip(columns, row[width + 1:at], strict=True)),
                                           dict(zip(lnames, row[at + 1:], strict=True)) if row[at] else None)
        newer = v.alias("newer")
        query = select(*keys, v.c[opc], *(v.c[c] for c in columns)).where(v.c[txc] < group, mine, ~exists().where(
            and_(*(newer.c[c] == v.c[c] for c in names)), newer.c[txc] > v.c[txc], newer.c[txc] < group))
        before = {tuple(row[:width]): None if row[width] == 2 else dict(zip(columns, row[width + 1:], strict=True))
                  for row in ctx.conn.execute(query)}
        later = {tuple(row) for row in ctx.conn.execute(select(*keys).where(v.c[txc] > group, mine).distinct())}
        return {key: Undo(op, made, before.get(key), key in before and before[key] is None, key in later, current)
                for key, (op, made, current) in made_by.items()}

    def undo_query(self, ctx: WriteContext, group: Any) -> Select[Any] | None:
        """``undo`` in one SELECT: transaction ``group``'s version row of each key, outer-joined with the key's
        newest older version row, and whether a newer one exists."""
        o = ctx.det.opts(ContinuumOptions)
        if o.associations or o.inherits or not isinstance(group, int):
            return None
        v, names, txc, opc = ctx.store, list(ctx.det.key), o.transaction_column, o.operation_type_column
        columns = self.recorded(ctx)
        before, newer, after = v.alias("chrono_before"), v.alias("chrono_newer"), v.alias("chrono_after")
        newest = ~exists().where(and_(*(newer.c[c] == before.c[c] for c in names)), newer.c[txc] > before.c[txc],
                                 newer.c[txc] < group)
        later = select(*(after.c[c] for c in names)).where(after.c[txc] > group).distinct().subquery("chrono_later")
        return (select(*(v.c[c] for c in names), v.c[opc].label(UNDO_OP),
                       later.c[names[0]].is_not(None).label(UNDO_LATER), before.c[opc].label(UNDO_BEFORE),
                       (v.c[opc] != 2).label(UNDO_MADE), *(before.c[c].label(c) for c in columns),
                       *(v.c[c].label(f"{MADE}{n}") for n, c in enumerate(columns)))
                .select_from(v.outerjoin(before, and_(*(before.c[c] == v.c[c] for c in names),
                                                      before.c[txc] < group, newest))
                             .outerjoin(later, and_(*(later.c[c] == v.c[c] for c in names))))
                .where(v.c[txc] == group))

    def meta_notes(self, ctx: WriteContext) -> list[str]:
        return actor_notes(ctx)

    def _opening(self, ctx: WriteContext) -> tuple[list[Step], Any]:
        """The transaction row (once per write: a revert's tables share it) and the expression of its id."""
        o = ctx.det.opts(ContinuumOptions)
        if o.native and (not o.native_enabled or not (o.triggers.transaction if o.triggers else None)):
            raise Refused(f"{ctx.det.live} uses native versioning but its triggers are disabled or missing: "
                          "a write would not be versioned", hint="re-enable the triggers (sync_trigger) first")
        tx_info = find_info(ctx, o.transaction_table)
        if tx_info is None:
            raise Refused(f"the transaction table {o.transaction_table} is not in the schema")
        tx_step, x = ContinuumWriter()._transaction(ctx, tx_info)
        return ([tx_step] if ctx.shared.once("transaction", str(tx_info.ref)) else []), x

    def _meta(self, ctx: WriteContext, x: Any) -> list[Step]:
        o = ctx.det.opts(ContinuumOptions)
        meta = find_info(ctx, o.transaction_meta)
        if meta is None or not ctx.meta.reason or not meta.has("transaction_id", "key", "value") \
                or not ctx.shared.once("transaction_meta", o.transaction_table, "reason"):
            return []
        return [Step(insert(insert_table(meta)).values({"transaction_id": x, "key": "reason",
                                                        "value": ctx.meta.reason}), "transaction_meta: reason")]

    def _changes(self, ctx: WriteContext, x: Any) -> list[Step]:
        o = ctx.det.opts(ContinuumOptions)
        changes = find_info(ctx, o.transaction_changes)
        if changes is None:
            return []
        name = entity_name(ctx.conn, ctx.snapshot, ctx.det)
        if not ctx.shared.once("transaction_changes", o.transaction_table, name):
            return []
        return [Step(insert(insert_table(changes)).values({"transaction_id": x, "entity_name": name}),
                     f"transaction_changes: {name}")]

    def _close(self, ctx: WriteContext, stage: Table, x: Any) -> list[Step]:
        end = ctx.det.opts(ContinuumOptions).end_transaction_column
        if not end:
            return []
        v = ctx.store
        return [Step(v.update().values({end: x}).where(joined(ctx, stage, v), v.c[end].is_(None)),
                     "close the staged rows' open version rows (end_transaction_id = the new transaction)")]

    def check(self, ctx: WriteContext) -> None:
        if is_link(ctx.live_info):
            raise UnsupportedOperation("a versioned association table has no states to restore: "
                                       "revert the change sets that changed its links")
        if is_joined(ctx):
            raise UnsupportedOperation(f"{ctx.det.live} is part of a joined-table inheritance hierarchy: chrono "
                                       "does not write joined hierarchies yet",
                                       hint="restore these rows through the application")

    def _versions(self, ctx: WriteContext, stage: Table, columns: Sequence[str], x: Any) -> list[Step]:
        o = ctx.det.opts(ContinuumOptions)
        live, info = ctx.live, ctx.store_info
        steps = self._close(ctx, stage, x)
        mods = o.mod_columns
        flags = {f: c for c, f in mods.items()}
        internal = {o.transaction_column, o.operation_type_column, o.end_transaction_column}
        names: list[str] = []
        exprs: list[Any] = []
        absent = stage.c[ABSENT]
        for c in info.columns:
            if c in internal:
                continue
            names.append(c)
            if c in flags:
                source = flags[c]
                exprs.append(case((absent, true()), else_=stage.c[source].is_distinct_from(live.c[source]))
                             if source in columns else absent)
            elif c in ctx.det.key:
                exprs.append(stage.c[c])
            else:
                exprs.append(stage.c[c] if c in columns else live.c[c] if c in live.c else literal(None))
        names += [o.transaction_column, o.operation_type_column]
        exprs += [x, case((absent, 0), else_=1)]
        query = select(*exprs).select_from(stage.outerjoin(live, joined(ctx, stage, live)))
        steps.append(Step(insert(insert_table(info)).from_select(names, query),
                          "version rows: the restored states, operation_type 1 (0 for a re-insert), one INSERT"))
        return steps + self._changes(ctx, x)
