"""Continuum's change listing: version rows whose transaction was issued in the window, grouped exactly by it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import and_, select, true
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.actors import condition, labels, user_link
from chrono_cli.conventions.base import Detection, EventQuery, ReadContext
from chrono_cli.conventions.builtin.continuum.options import ContinuumOptions
from chrono_cli.conventions.builtin.continuum.read import _meta, _meta_text
from chrono_cli.conventions.diffs import field_changes
from chrono_cli.conventions.pickaxe import new_state_match
from chrono_cli.conventions.rows import as_utc
from chrono_cli.conventions.shapes.new_state import previous_states
from chrono_cli.conventions.shapes.window import window
from chrono_cli.model import Op, RowChange, RowKey
from chrono_cli.records import replace


def continuum_events(ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
    """Version rows whose transaction was issued in the window; grouped exactly by transaction id."""
    o = det.opts(ContinuumOptions)
    store = ctx.info(det.store).table()
    tx_info = next(t for t in ctx.snapshot if str(t.ref) == o.transaction_table)
    tx = tx_info.table()
    txc, opc = o.transaction_column, o.operation_type_column
    columns = list(o.versioned_columns)
    # a page cursor that carries a transaction id pages by it (the version table's index), not by time
    paged = query if query.before_group is None else replace(query, before=None)
    where = window(tx.c.issued_at, paged, ctx.config.timezone, ctx.conn.dialect.name)
    if query.before_group is not None:
        # on both sides of the join: a merge join would otherwise walk the transactions from the newest
        where = and_(where, store.c[txc] < query.before_group, tx.c.id < query.before_group)
    if query.group is not None:
        if isinstance(query.group, bool) or not isinstance(query.group, int):
            return []  # another store's change set (a UUID): transactions have integer ids
        where = store.c[txc] == query.group
    dialect = ctx.conn.dialect.name
    narrow = new_state_match(store, det, [txc], query.match, {opc: 2}, dialect) if query.match else None
    if narrow is not None:
        where = and_(where, narrow)
    if query.actor is not None and o.user_column:
        where = and_(where, _by_actor(ctx, tx_info, tx.c.user_id, query.actor))
    rows = ctx.conn.execute(
        select(store).join(tx, tx.c.id == store.c[txc]).where(where)
        .order_by(store.c[txc].desc(), *[store.c[k] for k in det.key]).limit(query.limit)).mappings().all()
    if not rows:
        return []
    ids = sorted({r[txc] for r in rows})
    cols = [tx.c.id, tx.c.issued_at] + ([tx.c.user_id] if o.user_column else [])
    txs = {t["id"]: t for t in ctx.conn.execute(select(*cols).where(tx.c.id.in_(ids))).mappings()}
    link = user_link(tx_info, "user_id", ctx.snapshot) if o.user_column else None
    actors = labels(ctx.conn, ctx.snapshot, link, [t.get("user_id") for t in txs.values()]) if link else {}
    meta_name = o.transaction_meta
    meta = _meta(ctx, next((t for t in ctx.snapshot if str(t.ref) == meta_name), None), ids) if meta_name else {}
    earlier = previous_states(ctx, store, det, rows, [txc])
    out: list[RowChange] = []
    for r in rows:
        key = tuple(r[k] for k in det.key)
        prev = earlier.get((*key, r[txc]))
        op = {0: Op.INSERT, 1: Op.UPDATE, 2: Op.DELETE}.get(r[opc], Op.UNKNOWN)
        old = None if prev is None or prev[opc] == 2 else prev
        changes = () if op is Op.DELETE else field_changes(old, r, columns)
        t: Mapping[Any, Any] = txs.get(r[txc], {})
        reason, note = _meta_text(meta.get(r[txc], {}))
        out.append(RowChange(det.live, RowKey(tuple(zip(det.key, key, strict=True))), op,
                             as_utc(t.get("issued_at"), ctx.config.timezone), actors.get(t.get("user_id")), reason,
                             changes, group=r[txc], note=note, actor_id=t.get("user_id")))
    return out


def _by_actor(ctx: ReadContext, info: Any, column: Any, wanted: str) -> ColumnElement[bool]:
    """The SQL filter of ``--actor`` on a user-id column (true where only the caller can filter exactly)."""
    cond = condition(ctx.conn, ctx.snapshot, user_link(info, column.name, ctx.snapshot), column, wanted)
    return true() if cond is None else cond
