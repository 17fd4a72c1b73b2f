"""django-simple-history's set-based restore (state at T: the key's newest historical row at or before T; a ``-``
row, or none, means the record did not exist then): the live rows, then one INSERT ... SELECT of ``~`` rows
(``+`` for re-inserts) with actor and reason, then the m2m snapshots of those rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, case, exists, insert, literal, or_, select
from sqlalchemy.sql import Select

from chrono_cli.conventions.actors import user_id
from chrono_cli.conventions.builtin.simple_history.adapter import SimpleHistoryOptions
from chrono_cli.conventions.shapes.bulk import GONE, BulkWriter, insert_live, joined, update_live
from chrono_cli.conventions.shapes.staging import ABSENT
from chrono_cli.conventions.shapes.window import time_pair
from chrono_cli.conventions.writes.base import Step, WriteContext, find_info
from chrono_cli.conventions.writes.values import insert_table, stamp
from chrono_cli.errors import UnsupportedOperation


class SimpleHistoryBulk(BulkWriter):
    """django-simple-history ``<app>_historical<model>``."""

    raw_states = True

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

    def state_query(self, ctx: WriteContext, at: datetime, *, few: bool = False) -> Select[Any]:
        """The key's newest historical row at or before ``at`` (gone: a ``-`` row)."""
        o = ctx.det.opts(SimpleHistoryOptions)
        h, names = ctx.store, list(ctx.det.key)
        newer = h.alias("newer")
        col, value = self._date(ctx, h, at)
        ncol, _ = self._date(ctx, newer, at)
        hid = o.history_id_column
        return select(*(h.c[c] for c in names), (h.c[o.type_column] == "-").label(GONE),
                      *(h.c[c] for c in self.recorded(ctx))).where(col <= value, ~exists().where(
                          and_(*(newer.c[c] == h.c[c] for c in names)), ncol <= value,
                          or_(ncol > col, and_(ncol == col, newer.c[hid] > h.c[hid]))))

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
