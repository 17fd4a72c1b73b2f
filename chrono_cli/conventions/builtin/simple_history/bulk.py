"""django-simple-history's set-based restore (state at T: the key's newest historical row at or before T; a ``-``
row, or none, means the record did not exist then): the live rows, then one INSERT ... SELECT of ``~`` rows
(``+`` for re-inserts) with actor and reason, then the m2m snapshots of those rows; a set-based delete writes the
``-`` rows first, then deletes the m2m links and the live rows. For ``chrono revert`` of an
inferred change set: what it did to each of its keys, its historical rows found by the set's span (then exactly by
key and time), the row before each key's first (in the span, else the state just before it) and whether a row
follows its last (two queries, and one a thousand keys for the rows before).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Table, and_, case, delete, exists, insert, literal, or_, select
from sqlalchemy.sql import Select

from chrono_cli.conventions.actors import user_id
from chrono_cli.conventions.builtin.simple_history.adapter import SimpleHistoryOptions
from chrono_cli.conventions.builtin.simple_history.write import actor_notes
from chrono_cli.conventions.shapes.bulk import (
    GONE,
    SPAN_PAD,
    BulkWriter,
    Span,
    Undo,
    delete_live,
    insert_live,
    joined,
    stored_moment,
    update_live,
)
from chrono_cli.conventions.shapes.staging import ABSENT
from chrono_cli.conventions.shapes.window import time_pair
from chrono_cli.conventions.writes.base import Step, WriteContext, find_info
from chrono_cli.conventions.writes.values import stamp
from chrono_cli.errors import UnsupportedOperation

_OPS = {"+": 0, "~": 1, "-": 2}


class SimpleHistoryBulk(BulkWriter):
    """django-simple-history ``<app>_historical<model>``."""

    raw_states = True

    def bookkeeping(self, ctx: WriteContext) -> frozenset[str]:
        return frozenset(m.name for m in ctx.det.opts(SimpleHistoryOptions).m2m)

    def meta_notes(self, ctx: WriteContext) -> list[str]:
        return actor_notes(ctx, user_id(ctx.conn, ctx.store_info, ctx.det.opts(SimpleHistoryOptions).user_column,
                                        ctx.meta.actor))

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

    def undo(self, ctx: WriteContext, group: Any) -> dict[tuple[Any, ...], Undo] | None:
        """An inferred set's keys (``group``: a ``Span``; None for anything else, or a custom historical field
        chrono cannot fill, which the row-by-row revert refuses)."""
        o = ctx.det.opts(SimpleHistoryOptions)
        info = ctx.store_info
        if not isinstance(group, Span) or any(not info.columns[c].nullable and info.columns[c].default is None
                                              for c in o.extra_columns):
            return None
        h, names, columns = ctx.store, list(ctx.det.key), self.recorded(ctx)
        width, tz = len(names), ctx.config.timezone
        low, low_value = self._date(ctx, h, group.oldest - SPAN_PAD)
        high, high_value = self._date(ctx, h, group.newest + SPAN_PAD)
        # every historical row of the span (the set's, and any other's between its rows), in timeline order
        query = (select(*(h.c[c] for c in names), h.c[o.date_column], h.c[o.history_id_column], h.c[o.type_column],
                        *(h.c[c] for c in columns))
                 .where(low >= low_value, high <= high_value))
        spanned: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
        moment = stored_moment(tz)
        for row in ctx.conn.execute(query).all():  # one fetch, plain rows: cheap for 100,000 rows
            key = row[:width]
            if key in group.times:
                spanned.setdefault(key, []).append((moment(row[width]), *row[width + 1:]))
        first: dict[tuple[Any, ...], int] = {}
        last: dict[tuple[Any, ...], int] = {}
        for key, rows in spanned.items():
            rows.sort(key=lambda r: (r[0], r[1]))
            made = [i for i, r in enumerate(rows) if r[0] in group.times[key] and r[2] in _OPS]
            if made:
                first[key], last[key] = made[0], made[-1]

        def state(row: tuple[Any, ...]) -> dict[str, Any] | None:
            return None if row[2] == "-" else dict(zip(columns, row[3:], strict=True))

        before: dict[tuple[Any, ...], dict[str, Any] | None] = {}
        earlier = [k for k, i in first.items() if i == 0]  # the row before is older than the span
        at = group.oldest - SPAN_PAD
        for cond in self.key_filter(ctx, h, earlier, None):
            before.update(self.states_where(ctx, at, cond))
        before.update({k: state(spanned[k][i - 1]) for k, i in first.items() if i > 0})
        later = {k for k, i in last.items() if i < len(spanned[k]) - 1}
        for cond in self.key_filter(ctx, h, [k for k in last if k not in later], None):
            newer = select(*(h.c[c] for c in names)).where(cond, high > high_value).distinct()
            later.update(tuple(r) for r in ctx.conn.execute(newer))
        currents = self.live_rows(ctx, list(first), None)
        return {key: Undo(_OPS[spanned[key][i][2]], state(spanned[key][last[key]]), before.get(key),
                          key in before and before[key] is None, key in later, currents.get(key))
                for key, i in first.items()}

    def steps(self, ctx: WriteContext, stage: Table, columns: Sequence[str]) -> list[Step]:
        history, now = self._historical(ctx, stage, case((stage.c[ABSENT], "+"), else_="~"))
        steps = [update_live(ctx, stage, columns), insert_live(ctx, stage, columns),
                 Step(history, "historical rows: the new states, history_type '~' ('+' for a re-insert), one INSERT")]
        return steps + self._m2m(ctx, stage, now)

    def delete_steps(self, ctx: WriteContext, stage: Table) -> list[Step]:
        """What ``instance.delete()`` leaves, for every staged row: a ``-`` row holding the last state (no m2m
        snapshot), the row's m2m through rows deleted (Django's collector, without m2m history), the row deleted."""
        history, _ = self._historical(ctx, stage, literal("-"))
        steps = [Step(history, "historical rows: the last states, history_type '-' (one INSERT for all)")]
        pk = ctx.det.key[0]
        for m in ctx.det.opts(SimpleHistoryOptions).m2m:
            through = find_info(ctx, m.through)
            to_base = [fk for fk in through.foreign_keys if fk.referred == ctx.det.live] if through else []
            if through is not None and len(to_base) == 1 and len(to_base[0].columns) == 1:
                t = through.table()
                steps.append(Step(delete(t).where(t.c[to_base[0].columns[0]].in_(select(stage.c[pk]))),
                                  f"{through.ref.name}: the rows' m2m links (Django's collector deletes them)"))
        return steps + [delete_live(ctx, stage)]

    def _historical(self, ctx: WriteContext, stage: Table, kind: Any) -> tuple[Insert, Any]:
        """The INSERT ... SELECT of a historical row of ``kind`` for every staged live row (its state as it is),
        stamped now with actor and reason; and the stamp."""
        o = ctx.det.opts(SimpleHistoryOptions)
        info, live = ctx.store_info, ctx.live
        hid = o.history_id_column
        if o.history_id_kind != "integer" and info.columns[hid].default is None:
            raise UnsupportedOperation(f"{info.ref}.{hid} is a client-side uuid: restore these rows one by one")
        now = stamp(ctx.now, info.columns[o.date_column].type, ctx.config.timezone)
        names = list(o.tracked_columns)
        exprs: list[Any] = [live.c[c] for c in names]
        uid = user_id(ctx.conn, info, o.user_column, ctx.meta.actor)
        extra = {o.date_column: literal(now, info.columns[o.date_column].type), o.type_column: kind,
                 o.reason_column: literal(ctx.meta.reason, info.columns[o.reason_column].type),
                 o.user_column: literal(uid, info.columns[o.user_column].type)}
        if o.relation_column:
            extra[o.relation_column] = live.c[ctx.det.key[0]]
        names += list(extra)
        exprs += list(extra.values())
        query = select(*exprs).select_from(live.join(stage, joined(ctx, stage, live)))
        return insert(info.insert_table()).from_select(names, query), now

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
            out.append(Step(insert(hist.insert_table()).from_select([hid, *cols], query),
                            f"m2m history {hist.ref.name}: the current members under each new history row"))
        return out
