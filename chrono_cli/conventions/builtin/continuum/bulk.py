"""Continuum's set-based restore (state at T: the key's newest version row up to the newest transaction issued at
or before T; a delete row, or none, means the record did not exist then).

One transaction row for the whole restore, then (python-side versioning) close the staged keys' open version
rows, one INSERT ... SELECT of the new version rows (operation_type 1, or 0 for a re-insert; ``_mod`` = old IS
DISTINCT FROM new), ``transaction_changes`` and ``transaction_meta`` once; then the live rows. Native
versioning: the transaction row and the live rows only (the triggers write the rest).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, case, exists, false, func, insert, literal, select, true
from sqlalchemy.sql import Select

from chrono_cli.conventions.builtin.continuum.adapter import entity_name
from chrono_cli.conventions.builtin.continuum.joined import is_joined
from chrono_cli.conventions.builtin.continuum.options import ContinuumOptions
from chrono_cli.conventions.builtin.continuum.write import ContinuumWriter, is_link
from chrono_cli.conventions.shapes.bulk import GONE, BulkWriter, insert_live, joined, update_live
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
        o = ctx.det.opts(ContinuumOptions)
        self.check(ctx)
        writer = ContinuumWriter()
        tx_info = find_info(ctx, o.transaction_table)
        assert tx_info is not None
        tx_step, x = writer._transaction(ctx, tx_info)
        steps = [tx_step]
        native = bool(o.native)
        if native and (not o.native_enabled or not (o.triggers.transaction if o.triggers else None)):
            raise Refused(f"{ctx.det.live} uses native versioning but its triggers are disabled or missing: "
                          "a write would not be versioned", hint="re-enable the triggers (sync_trigger) first")
        if not native:
            steps += self._versions(ctx, stage, columns, x)
        meta = find_info(ctx, o.transaction_meta)
        if meta is not None and ctx.meta.reason and meta.has("transaction_id", "key", "value"):
            steps.append(Step(insert(insert_table(meta)).values({"transaction_id": x, "key": "reason",
                                                               "value": ctx.meta.reason}), "transaction_meta: reason"))
        steps += [update_live(ctx, stage, columns), insert_live(ctx, stage, columns)]
        return steps

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
        v, live, info = ctx.store, ctx.live, ctx.store_info
        steps: list[Step] = []
        end = o.end_transaction_column
        if end:
            steps.append(Step(v.update().values({end: x}).where(joined(ctx, stage, v), v.c[end].is_(None)),
                              "close the staged rows' open version rows (end_transaction_id = the new transaction)"))
        mods = o.mod_columns
        flags = {f: c for c, f in mods.items()}
        internal = {o.transaction_column, o.operation_type_column, end}
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
        changes = find_info(ctx, o.transaction_changes)
        if changes is not None:
            name = entity_name(ctx.conn, ctx.snapshot, ctx.det)
            steps.append(Step(insert(insert_table(changes)).values({"transaction_id": x, "entity_name": name}),
                              f"transaction_changes: {name}"))
        return steps
