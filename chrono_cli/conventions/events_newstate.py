"""Row changes for stores whose rows are new states: Continuum (exact, by transaction) and simple-history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, and_, bindparam, func, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.actors import condition, labels, user_link
from chrono_cli.conventions.base import Detection, EventQuery, ReadContext
from chrono_cli.conventions.builtin.continuum.options import ContinuumOptions
from chrono_cli.conventions.builtin.simple_history.adapter import SimpleHistoryOptions
from chrono_cli.conventions.diffs import field_changes
from chrono_cli.conventions.events import window
from chrono_cli.conventions.rows import as_utc
from chrono_cli.model import Op, RowChange, RowKey

_PROBES = 100  # rows per probe statement: under 1,000 bound parameters (older SQLite builds' limit)
_FETCH = 200  # previous states fetched per statement (one IN list per column: also under 1,000 parameters)


def _earlier(store: Table, det: Detection, row: Mapping[str, Any], order: Sequence[str], time_col: str | None,
             dialect: str) -> ColumnElement[bool]:
    """The stored states of ``row``'s key that come before it in ``order`` (compared column by column)."""
    def pair(name: str) -> tuple[Any, Any]:
        if name == time_col and dialect == "sqlite":  # times kept as text in the writer's format
            return func.julianday(store.c[name]), func.julianday(row[name])
        return store.c[name], row[name]

    col, value = pair(order[-1])
    cond: ColumnElement[bool] = col < value
    for name in reversed(order[:-1]):
        col, value = pair(name)
        cond = or_(col < value, and_(col == value, cond))
    return and_(*[store.c[k] == row[k] for k in det.key], cond)


def _probes(store: Table, det: Detection, order: Sequence[str], time_col: str | None, dialect: str,
            n: int) -> Select[Any]:
    """``n`` index probes in one statement, each bound to one row (``p<i>_<column>``): the last ``order`` value
    of the state stored just before that row. Built once and reused, so each row costs only its parameters."""
    columns = list(dict.fromkeys([*det.key, *order]))

    def probe(i: int) -> Any:
        row: dict[str, Any] = {c: bindparam(f"p{i}_{c}") for c in columns}
        return (select(store.c[order[-1]]).where(_earlier(store, det, row, order, time_col, dialect))
                .order_by(*[store.c[c].desc() for c in order]).limit(1).scalar_subquery().label(f"p{i}"))

    return select(*[probe(i) for i in range(n)])


def _bind(rows: Sequence[Mapping[Any, Any]], columns: list[str], time_col: str | None,
          dialect: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for i, r in enumerate(rows):
        for c in columns:
            value = r[c]
            if c == time_col and dialect == "sqlite" and isinstance(value, datetime):
                value = value.isoformat(" ")
            params[f"p{i}_{c}"] = value
    return params


def _previous(ctx: ReadContext, store: Table, det: Detection, rows: Sequence[Mapping[Any, Any]],
              order: Sequence[str], time_col: str | None = None) -> dict[tuple[Any, ...], Mapping[Any, Any]]:
    """The stored state just before each page row (same key, next lower in ``order``), by (key..., last order
    column) of the page row. One index probe per row, so a record with a million versions costs no more than
    a record with two."""
    ident, dialect = order[-1], ctx.conn.dialect.name
    columns = list(dict.fromkeys([*det.key, *order]))
    statements: dict[int, Select[Any]] = {}
    found: list[Any] = []
    for start in range(0, len(rows), _PROBES):
        chunk = rows[start:start + _PROBES]
        if len(chunk) not in statements:
            statements[len(chunk)] = _probes(store, det, order, time_col, dialect, len(chunk))
        found += list(ctx.conn.execute(statements[len(chunk)], _bind(chunk, columns, time_col, dialect)).one())
    wanted = {r_key: (*r_key[:-1], f) for r_key, f in
              zip(((*(r[k] for k in det.key), r[ident]) for r in rows), found, strict=True) if f is not None}
    stored: dict[tuple[Any, ...], Mapping[Any, Any]] = {}
    pairs = list(set(wanted.values()))
    for start in range(0, len(pairs), _FETCH):
        batch = pairs[start:start + _FETCH]
        # one IN list per column (a tuple IN of thousands of pairs plans slowly); exact pairs picked below
        match = [store.c[c].in_(list({p[i] for p in batch})) for i, c in enumerate([*det.key, ident])]
        for r in ctx.conn.execute(select(store).where(*match)).mappings():
            stored[tuple(r[c] for c in [*det.key, ident])] = r
    return {r_key: stored[p_key] for r_key, p_key in wanted.items() if p_key in stored}


def continuum_events(ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
    """Version rows whose transaction was issued in the window; grouped exactly by transaction id."""
    from chrono_cli.conventions.builtin.continuum.read import _meta, _meta_text

    o = det.opts(ContinuumOptions)
    store = ctx.info(det.store).table()
    tx_info = next(t for t in ctx.snapshot if str(t.ref) == o.transaction_table)
    tx = tx_info.table()
    txc, opc = o.transaction_column, o.operation_type_column
    columns = list(o.versioned_columns)
    where = window(tx.c.issued_at, query, ctx.config.timezone, ctx.conn.dialect.name)
    if query.group is not None:
        where = store.c[txc] == query.group
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
    earlier = _previous(ctx, store, det, rows, [txc])
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


def simple_history_events(ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
    """Historical rows dated in the window; no transaction is stored, so grouping is inferred."""
    if query.group is not None:
        return []
    o = det.opts(SimpleHistoryOptions)
    h_info = ctx.info(det.store)
    store = h_info.table()
    ident, date, kind, reason_col = o.history_id_column, o.date_column, o.type_column, o.reason_column
    columns = list(o.tracked_columns)
    # no --actor filter here: inferred change sets are runs of one actor that another actor's change ends, so
    # leaving the others out would merge sets (the caller filters the grouped sets)
    where = window(store.c[date], query, ctx.config.timezone, ctx.conn.dialect.name)
    rows = ctx.conn.execute(
        select(store).where(where)
        .order_by(store.c[date].desc(), store.c[ident].desc()).limit(query.limit)).mappings().all()
    if not rows:
        return []
    link = user_link(h_info, o.user_column, ctx.snapshot)
    actors = labels(ctx.conn, ctx.snapshot, link, [r[o.user_column] for r in rows])
    earlier = _previous(ctx, store, det, rows, [date, ident], time_col=date)
    out: list[RowChange] = []
    for r in rows:
        key = tuple(r[k] for k in det.key)
        prev = earlier.get((*key, r[ident]))
        op = {"+": Op.INSERT, "~": Op.UPDATE, "-": Op.DELETE}.get(r[kind], Op.UNKNOWN)
        old = None if prev is None or prev[kind] == "-" else prev
        changes = () if op is Op.DELETE else field_changes(old, r, columns)
        note = "saved without a change" if op is Op.UPDATE and not changes else None
        out.append(RowChange(det.live, RowKey(tuple(zip(det.key, key, strict=True))), op,
                             as_utc(r[date], ctx.config.timezone), actors.get(r[o.user_column]),
                             r[reason_col], changes, note=note, actor_id=r[o.user_column]))
    return out


def _by_actor(ctx: ReadContext, info: Any, column: Any, wanted: str) -> ColumnElement[bool]:
    """The SQL filter of ``--actor`` on a user-id column (true where only the caller can filter exactly)."""
    cond = condition(ctx.conn, ctx.snapshot, user_link(info, column.name, ctx.snapshot), column, wanted)
    return true() if cond is None else cond
