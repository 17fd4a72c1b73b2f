"""Row changes for stores whose rows are new states: Continuum (exact, by transaction) and simple-history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table, select, tuple_

from chrono_cli.conventions.actors import labels, user_link
from chrono_cli.conventions.base import Detection, EventQuery, ReadContext
from chrono_cli.conventions.diffs import field_changes
from chrono_cli.conventions.events import window
from chrono_cli.conventions.rows import as_utc
from chrono_cli.model import Op, RowChange, RowKey


def _previous(ctx: ReadContext, store: Table, det: Detection, rows: Sequence[Mapping[Any, Any]],
              order: Sequence[str]) -> dict[tuple[Any, ...], list[Mapping[Any, Any]]]:
    """Every stored state of the page's keys, in store order, per key (one query)."""
    keys = list({tuple(r[k] for k in det.key) for r in rows})
    chain: dict[tuple[Any, ...], list[Mapping[Any, Any]]] = {}
    query = select(store).where(tuple_(*[store.c[k] for k in det.key]).in_(keys)).order_by(*[store.c[c] for c in order])
    for r in ctx.conn.execute(query).mappings():
        chain.setdefault(tuple(r[k] for k in det.key), []).append(r)
    return chain


def _before(chain: list[Mapping[Any, Any]], row: Mapping[Any, Any], ident: str) -> Mapping[Any, Any] | None:
    i = next(n for n, x in enumerate(chain) if x[ident] == row[ident])
    return chain[i - 1] if i else None


def continuum_events(ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
    """Version rows whose transaction was issued in the window; grouped exactly by transaction id."""
    from chrono_cli.conventions.continuum_read import _meta, _meta_text

    o = det.options
    store = ctx.info(det.store).table()
    tx_info = next(t for t in ctx.snapshot if str(t.ref) == o["transaction_table"])
    tx = tx_info.table()
    txc, opc = o["transaction_column"], o["operation_type_column"]
    columns = list(o["versioned_columns"])
    where = window(tx.c.issued_at, query, ctx.config.timezone, ctx.conn.dialect.name)
    if query.group is not None:
        where = store.c[txc] == query.group
    rows = ctx.conn.execute(
        select(store).join(tx, tx.c.id == store.c[txc]).where(where)
        .order_by(store.c[txc].desc(), *[store.c[k] for k in det.key]).limit(query.limit)).mappings().all()
    if not rows:
        return []
    ids = sorted({r[txc] for r in rows})
    cols = [tx.c.id, tx.c.issued_at] + ([tx.c.user_id] if o.get("user_column") else [])
    txs = {t["id"]: t for t in ctx.conn.execute(select(*cols).where(tx.c.id.in_(ids))).mappings()}
    link = user_link(tx_info, "user_id", ctx.snapshot) if o.get("user_column") else None
    actors = labels(ctx.conn, ctx.snapshot, link, [t.get("user_id") for t in txs.values()]) if link else {}
    meta_name = o.get("transaction_meta")
    meta = _meta(ctx, next((t for t in ctx.snapshot if str(t.ref) == meta_name), None), ids) if meta_name else {}
    chains = _previous(ctx, store, det, rows, [txc])
    out: list[RowChange] = []
    for r in rows:
        key = tuple(r[k] for k in det.key)
        prev = _before(chains[key], r, txc)
        op = {0: Op.INSERT, 1: Op.UPDATE, 2: Op.DELETE}.get(r[opc], Op.UNKNOWN)
        old = None if prev is None or prev[opc] == 2 else prev
        changes = () if op is Op.DELETE else field_changes(old, r, columns)
        t: Mapping[Any, Any] = txs.get(r[txc], {})
        reason, note = _meta_text(meta.get(r[txc], {}))
        out.append(RowChange(det.live, RowKey(tuple(zip(det.key, key, strict=True))), op,
                             as_utc(t.get("issued_at"), ctx.config.timezone), actors.get(t.get("user_id")), reason,
                             changes, group=r[txc], note=note))
    return out


def simple_history_events(ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
    """Historical rows dated in the window; no transaction is stored, so grouping is inferred."""
    if query.group is not None:
        return []
    o = det.options
    h_info = ctx.info(det.store)
    store = h_info.table()
    ident, date, kind, reason_col = o["history_id_column"], o["date_column"], o["type_column"], o["reason_column"]
    columns = list(o["tracked_columns"])
    rows = ctx.conn.execute(
        select(store).where(window(store.c[date], query, ctx.config.timezone, ctx.conn.dialect.name))
        .order_by(store.c[date].desc(), store.c[ident].desc()).limit(query.limit)).mappings().all()
    if not rows:
        return []
    link = user_link(h_info, o["user_column"], ctx.snapshot)
    actors = labels(ctx.conn, ctx.snapshot, link, [r[o["user_column"]] for r in rows])
    chains = _previous(ctx, store, det, rows, [date, ident])
    out: list[RowChange] = []
    for r in rows:
        key = tuple(r[k] for k in det.key)
        prev = _before(chains[key], r, ident)
        op = {"+": Op.INSERT, "~": Op.UPDATE, "-": Op.DELETE}.get(r[kind], Op.UNKNOWN)
        old = None if prev is None or prev[kind] == "-" else prev
        changes = () if op is Op.DELETE else field_changes(old, r, columns)
        note = "saved without a change" if op is Op.UPDATE and not changes else None
        out.append(RowChange(det.live, RowKey(tuple(zip(det.key, key, strict=True))), op,
                             as_utc(r[date], ctx.config.timezone), actors.get(r[o["user_column"]]),
                             r[reason_col] or None, changes, note=note))
    return out
