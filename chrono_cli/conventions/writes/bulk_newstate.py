"""Set-based restores for stores whose rows hold the state *after* a change (Continuum, django-simple-history).

State at T: the key's newest store row at or before T (Continuum: by transaction id, up to the newest
transaction issued at or before T); a delete row, or no row at all, means the record did not exist then.

Continuum: one transaction row for the whole restore, then (python-side versioning) close the staged keys'
open version rows, one INSERT ... SELECT of the new version rows (operation_type 1, or 0 for a re-insert;
``_mod`` = old IS DISTINCT FROM new), ``transaction_changes`` and ``transaction_meta`` once; then the live
rows. Native versioning: the transaction row and the live rows only (the triggers write the rest).
simple-history: the live rows, then one INSERT ... SELECT of ``~`` rows (``+`` for re-inserts) with actor and
reason, then the m2m snapshots of those rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, case, exists, func, insert, literal, or_, select, true
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.builtin.continuum.adapter import entity_name
from chrono_cli.conventions.builtin.continuum.joined import is_joined
from chrono_cli.conventions.builtin.continuum.options import ContinuumOptions
from chrono_cli.conventions.builtin.continuum.write import (
    ContinuumWriter,
    find_info,
    is_link,
    user_id,
)
from chrono_cli.conventions.builtin.simple_history.adapter import SimpleHistoryOptions
from chrono_cli.conventions.shapes.window import time_pair
from chrono_cli.conventions.writes.base import Step, WriteContext
from chrono_cli.conventions.writes.bulk import ABSENT, BulkWriter, insert_live, joined, update_live
from chrono_cli.conventions.writes.values import insert_table, stamp
from chrono_cli.errors import Refused, UnsupportedOperation


class ContinuumBulk(BulkWriter):
    """SQLAlchemy-Continuum ``<table>_version`` + ``transaction``."""


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

    def states_where(self, ctx: WriteContext, at: datetime, keys: ColumnElement[bool] | None,
                     ) -> Iterator[tuple[tuple[Any, ...], dict[str, Any] | None]]:
        o = ctx.det.opts(ContinuumOptions)
        tx, v = self._tx(ctx), ctx.store
        col, value = self._issued(ctx, tx, at)
        top = ctx.conn.execute(select(func.max(tx.c.id)).where(col <= value)).scalar()
        if top is None:
            return
        names, txc, opc = list(ctx.det.key), o.transaction_column, o.operation_type_column
        newer = v.alias("newer")
        query = select(v).where(v.c[txc] <= top, ~exists().where(
            and_(*(newer.c[c] == v.c[c] for c in names)), newer.c[txc] > v.c[txc], newer.c[txc] <= top))
        if keys is not None:
            query = query.where(keys)
        columns = self.recorded(ctx)
        for row in ctx.conn.execute(query).mappings():
            yield tuple(row[c] for c in names), None if row[opc] == 2 else {c: row[c] for c in columns}

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


class SimpleHistoryBulk(BulkWriter):
    """django-simple-history ``<app>_historical<model>``."""


    def bookkeeping(self, ctx: WriteContext) -> frozenset[str]:
        return frozenset(m.name for m in ctx.det.opts(SimpleHistoryOptions).m2m)

    def recorded(self, ctx: WriteContext) -> list[str]:
        tracked = set(ctx.det.opts(SimpleHistoryOptions).tracked_columns)
        return [c for c in ctx.live_info.columns if c in tracked and c not in ctx.det.key]

    def _date(self, ctx: WriteContext, table: Any, value: datetime) -> tuple[Any, Any]:
        column = table.c[ctx.det.opts(SimpleHistoryOptions).date_column]
        return time_pair(column, value, ctx.config.timezone, ctx.conn.dialect.name)

    def changed_since(self, ctx: WriteContext, since: datetime) -> Select[Any]:
        h = ctx.store
        col, value = self._date(ctx, h, since)
        return select(*(h.c[c] for c in ctx.det.key)).where(col >= value).distinct()

    def states_where(self, ctx: WriteContext, at: datetime, keys: ColumnElement[bool] | None,
                     ) -> Iterator[tuple[tuple[Any, ...], dict[str, Any] | None]]:
        o = ctx.det.opts(SimpleHistoryOptions)
        h, names = ctx.store, list(ctx.det.key)
        newer = h.alias("newer")
        col, value = self._date(ctx, h, at)
        ncol, _ = self._date(ctx, newer, at)
        hid = o.history_id_column
        query = select(h).where(col <= value, ~exists().where(
            and_(*(newer.c[c] == h.c[c] for c in names)), ncol <= value,
            or_(ncol > col, and_(ncol == col, newer.c[hid] > h.c[hid]))))
        if keys is not None:
            query = query.where(keys)
        columns = self.recorded(ctx)
        for row in ctx.conn.execute(query).mappings():
            gone = row[o.type_column] == "-"
            yield tuple(row[c] for c in names), None if gone else {c: row[c] for c in columns}

    def steps(self, ctx: WriteContext, stage: Table, columns: Sequence[str]) -> list[Step]:
        o = ctx.det.opts(SimpleHistoryOptions)
        info, live = ctx.store_info, ctx.live
        hid = o.history_id_column
        if o.history_id_kind != "integer" and info.columns[hid].default is None:
            raise UnsupportedOperation(f"{info.ref}.{hid} is a client-side uuid: restore these rows one by one")
        now = stamp(ctx.now, info.columns[o.date_column].type, ctx.config.timezone)
        names = list(o.tracked_columns)
        exprs: list[Any] = [live.c[c] for c in names]
        uid = user_id(ctx.conn, info, o.user_column, ctx.meta.actor)
        extra = {o.date_column: literal(now, info.columns[o.date_column].type),
                 o.type_column: case((stage.c[ABSENT], "+"), else_="~"),
                 o.reason_column: literal(ctx.meta.reason, info.columns[o.reason_column].type),
                 o.user_column: literal(uid, info.columns[o.user_column].type)}
        if o.relation_column:
            extra[o.relation_column] = live.c[ctx.det.key[0]]
        names += list(extra)
        exprs += list(extra.values())
        query = select(*exprs).select_from(live.join(stage, joined(ctx, stage, live)))
        steps = [update_live(ctx, stage, columns), insert_live(ctx, stage, columns),
                 Step(insert(insert_table(info)).from_select(names, query),
                      "historical rows: the new states, history_type '~' ('+' for a re-insert), one INSERT")]
        return steps + self._m2m(ctx, stage, now)

    def _m2m(self, ctx: WriteContext, stage: Table, now: Any) -> list[Step]:
        o = ctx.det.opts(SimpleHistoryOptions)
        h, hid, pk = ctx.store, o.history_id_column, ctx.det.key[0]
        out = []
        for m in o.m2m:
            hist, through = find_info(ctx, m.table), find_info(ctx, m.through)
            to_base = [fk for fk in through.foreign_keys if fk.referred == ctx.det.live] if through else []
            if hist is None or through is None or len(to_base) != 1 or len(to_base[0].columns) != 1:
                continue
            t = through.table()
            cols = [c for c in hist.columns if c not in ("m2m_history_id", hid) and c in through.columns]
            query = (select(h.c[hid], *(t.c[c] for c in cols))
                     .select_from(h.join(stage, h.c[pk] == stage.c[pk]).join(t, t.c[to_base[0].columns[0]] == h.c[pk]))
                     .where(h.c[o.date_column] == literal(now, h.c[o.date_column].type)))
            out.append(Step(insert(insert_table(hist)).from_select([hid, *cols], query),
                            f"m2m history {hist.ref.name}: the current members under each new history row"))
        return out
