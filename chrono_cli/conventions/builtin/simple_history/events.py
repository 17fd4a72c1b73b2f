"""django-simple-history's change listing: historical rows dated in the window, each diffed against the one before."""

from __future__ import annotations

from sqlalchemy import and_, select

from chrono_cli.conventions.actors import condition, labels, user_link
from chrono_cli.conventions.base import Detection, EventQuery, ReadContext
from chrono_cli.conventions.builtin.simple_history.adapter import SimpleHistoryOptions
from chrono_cli.conventions.diffs import field_changes
from chrono_cli.conventions.pickaxe import new_state_match
from chrono_cli.conventions.rows import as_utc
from chrono_cli.conventions.shapes.new_state import previous_states
from chrono_cli.conventions.shapes.window import window
from chrono_cli.model import Op, RowChange, RowKey


def simple_history_events(ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
    """Historical rows dated in the window; no transaction is stored, so grouping is inferred."""
    if query.group is not None:
        return []
    o = det.opts(SimpleHistoryOptions)
    h_info = ctx.info(det.store)
    store = h_info.table()
    ident, date, kind, reason_col = o.history_id_column, o.date_column, o.type_column, o.reason_column
    columns = list(o.tracked_columns)
    where = window(store.c[date], query, ctx.config.timezone, ctx.conn.dialect.name)
    link = user_link(h_info, o.user_column, ctx.snapshot)
    if query.actor is not None:  # the caller regroups: another actor's change left out here still ends a set
        by_actor = condition(ctx.conn, ctx.snapshot, link, store.c[o.user_column], query.actor)
        where = where if by_actor is None else and_(where, by_actor)
    narrow = new_state_match(store, det, [date, ident], query.match, {kind: "-"}, ctx.conn.dialect.name,
                             date) if query.match else None
    if narrow is not None:
        where = and_(where, narrow)
    rows = ctx.conn.execute(
        select(store).where(where)
        .order_by(store.c[date].desc(), store.c[ident].desc()).limit(query.limit)).mappings().all()
    if not rows:
        return []
    actors = labels(ctx.conn, ctx.snapshot, link, [r[o.user_column] for r in rows])
    light = query.light and not query.match  # which changes only: no previous states read, no field changes
    earlier = {} if light else previous_states(ctx, store, det, rows, [date, ident], time_col=date)
    out: list[RowChange] = []
    for r in rows:
        key = tuple(r[k] for k in det.key)
        prev = earlier.get((*key, r[ident]))
        op = {"+": Op.INSERT, "~": Op.UPDATE, "-": Op.DELETE}.get(r[kind], Op.UNKNOWN)
        old = None if prev is None or prev[kind] == "-" else prev
        changes = () if op is Op.DELETE or light else field_changes(old, r, columns)
        note = "saved without a change" if op is Op.UPDATE and not changes and not light else None
        out.append(RowChange(det.live, RowKey(tuple(zip(det.key, key, strict=True))), op,
                             as_utc(r[date], ctx.config.timezone), actors.get(r[o.user_column]),
                             r[reason_col], changes, note=note, actor_id=r[o.user_column]))
    return out
