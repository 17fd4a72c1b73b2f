"""Set-based restores for trigger-written audit logs that keep whole rows (supa_audit, the 2ndQuadrant audit
trigger): the state at T of each key is what its newest log row at or before T left (a delete, a later logged
TRUNCATE, or a move of the row to another key means it did not exist then; no row means it was created later).
The write is ordinary DML of the live table, one UPDATE and one INSERT from the staged states (a revert's deletes:
one DELETE); the table's triggers write the log rows, as for single restores. What a change set did to each key,
for ``chrono revert``: shapes/trigger_log_undo.py (postgresql-audit's reverts too, whose states it reads itself).

A convention says how a log row names its key before and after the change (as text), what state it leaves, and
which rows record a TRUNCATE.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Table, and_, cast, func, or_, select, tuple_, union
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.decode import Undecodable, decode
from chrono_cli.conventions.shapes.bulk import CHUNK, BulkWriter, Undo, delete_live, insert_live, update_live
from chrono_cli.conventions.shapes.trigger_log import TriggerLogAdapter, unaudited
from chrono_cli.conventions.shapes.trigger_log_undo import trigger_log_undo
from chrono_cli.conventions.shapes.trigger_log_write import TriggerLogWriter
from chrono_cli.conventions.shapes.window import time_pair
from chrono_cli.conventions.writes.base import Step, WriteContext, WriteSet
from chrono_cli.errors import DamagedHistory, Refused, UnsupportedOperation
from chrono_cli.model import Op


class TriggerLogBulk(BulkWriter):
    """Restore many rows of a table whose audit triggers log whole rows: live-table DML only."""

    time_column: ClassVar[str] = "ts"
    schema_column: ClassVar[str] = "table_schema"  # with ``table_name``: the table a log row is about
    undo_listed = True  # the log's order, as a transaction's changes are listed

    def __init__(self, writer: TriggerLogWriter, reader: TriggerLogAdapter | None = None) -> None:
        self.writer = writer
        self.reader = reader  # the convention's reader: what a revert's timelines are built by (None: row by row)

    def mine(self, ctx: WriteContext) -> ColumnElement[bool]:
        """The log rows of this table."""
        store = ctx.store
        schema = ctx.det.live.schema or ctx.snapshot.default_schema
        named = store.c.table_name == ctx.det.live.name
        return and_(named, store.c[self.schema_column] == schema) if schema else named

    @abc.abstractmethod
    def key_after(self, ctx: WriteContext, name: str) -> ColumnElement[Any]:
        """Key column ``name`` as text after the logged change (before it, for a delete)."""

    @abc.abstractmethod
    def key_before(self, ctx: WriteContext, name: str) -> ColumnElement[Any]:
        """Key column ``name`` as text before the logged change (None for an insert)."""

    @abc.abstractmethod
    def state(self, ctx: WriteContext, row: Mapping[Any, Any]) -> tuple[Op, dict[str, Any]]:
        """The operation a log row records and the values of the state it left (as stored)."""

    @abc.abstractmethod
    def truncated(self, ctx: WriteContext) -> ColumnElement[bool] | None:
        """The log rows that record a TRUNCATE (None: the log records none)."""

    def excluded(self, ctx: WriteContext) -> tuple[str, ...]:
        """Columns the triggers leave out of the log."""
        return ()

    def log_columns(self, ctx: WriteContext) -> list[Any]:
        """The log columns a revert reads of each row (what the reader's ``entry`` needs, under their names)."""
        return list(ctx.store.columns)

    def one_record(self, rows: Sequence[Mapping[Any, Any]]) -> bool:
        """Whether a single read of the key these log rows name finds exactly them (supa_audit looks a record up
        by the record id it stores first)."""
        return True

    def bookkeeping(self, ctx: WriteContext) -> frozenset[str]:
        return frozenset()

    def meta_notes(self, ctx: WriteContext) -> list[str]:
        """That the log records the database session, not the actor or reason (the writer's note on every row)."""
        said = WriteSet()
        self.writer.before(ctx, said)
        return said.notes

    def check(self, ctx: WriteContext) -> None:
        for event in ("INSERT", "UPDATE"):
            if event in unaudited(self.writer.triggers(ctx.live_info)):
                raise Refused(
                    f"{ctx.det.live} has no enabled {ctx.det.adapter} trigger for {event}: restored rows "
                    f"would leave no row in {ctx.det.store}",
                    hint=self.writer.fix_hint(ctx),
                )

    def recorded(self, ctx: WriteContext) -> list[str]:
        skip = set(self.excluded(ctx)) | set(ctx.config.unrecorded) | set(ctx.det.key)
        return [c for c in ctx.live_info.columns if c not in skip]

    def _typed(self, ctx: WriteContext, texts: Sequence[ColumnElement[Any]], prefix: str) -> list[Any]:
        live = ctx.live
        return [
            cast(t, live.c[k].type).label(f"{prefix}_{i}")
            for i, (k, t) in enumerate(zip(ctx.det.key, texts, strict=True))
        ]

    def _after(self, ctx: WriteContext) -> list[Any]:
        return self._typed(ctx, [self.key_after(ctx, k) for k in ctx.det.key], "chrono_key")

    def _before(self, ctx: WriteContext) -> list[Any]:
        return self._typed(ctx, [self.key_before(ctx, k) for k in ctx.det.key], "chrono_old_key")

    def _time(self, ctx: WriteContext, value: datetime) -> tuple[Any, Any]:
        return time_pair(ctx.store.c[self.time_column], value, None, ctx.conn.dialect.name)

    def changed_since(self, ctx: WriteContext, since: datetime) -> Select[Any]:
        """Keys a logged change names since ``since``; after a logged TRUNCATE since then, every key logged before
        it (those that existed then are among them)."""
        col, value = self._time(ctx, since)
        recent = and_(self.mine(ctx), col >= value)
        after = select(*self._after(ctx)).where(recent)
        before = select(*self._before(ctx)).where(recent, *(k.is_not(None) for k in self._before(ctx)))
        parts = [after, before]
        truncated = self.truncated(ctx)
        if truncated is not None:
            first = ctx.store.primary_key.columns[0]
            last_cut = select(func.max(first)).where(recent, truncated).scalar_subquery()
            parts.append(
                select(*self._after(ctx)).where(
                    self.mine(ctx), first < last_cut, *(k.is_not(None) for k in self._after(ctx))
                )
            )
        keys = union(*parts).subquery()
        return select(*keys.c)

    def key_filter(
        self, ctx: WriteContext, table: Table, keys: Sequence[tuple[Any, ...]], since: datetime | None
    ) -> Iterator[ColumnElement[bool]]:
        if table is not ctx.store:
            yield from super().key_filter(ctx, table, keys, since)
            return
        after, before = self._after(ctx), self._before(ctx)
        if since is not None:
            changed = self.changed_since(ctx, since).subquery()
            yield self.naming(ctx, after, before, select(*changed.c))
            return
        for i in range(0, len(keys), CHUNK):
            chunk = list(keys[i : i + CHUNK])
            values = chunk if len(after) > 1 else [k[0] for k in chunk]
            yield or_(among(after, values), among(before, values))

    def naming(self, ctx: WriteContext, after: Sequence[Any], before: Sequence[Any],
               keys: Select[Any]) -> ColumnElement[bool]:
        """The log rows naming one of ``keys`` (``after`` and ``before`` being the key as ``keys`` gives it) after
        or before their change: by log row number, in the union of two semi-joins. One condition with OR would
        test each row against the keys one by one once they outgrow work_mem (100,000 keys: hours)."""
        number: ColumnElement[Any] = self.number(ctx)
        return number.in_(union(select(number).where(self.mine(ctx), among(after, keys)),
                                select(number).where(self.mine(ctx), among(before, keys))))

    def number(self, ctx: WriteContext) -> ColumnElement[Any]:
        """The log row number (its one-column primary key: ``event_id``, ``id``)."""
        return ctx.store.primary_key.columns[0]

    def states_where(
        self,
        ctx: WriteContext,
        at: datetime,
        keys: ColumnElement[bool] | None,
    ) -> Iterator[tuple[tuple[Any, ...], dict[str, Any] | None]]:
        store = ctx.store
        order = list(store.primary_key.columns)
        col, value = self._time(ctx, at)
        upto = [self.mine(ctx), col <= value, *([keys] if keys is not None else [])]
        truncated = self.truncated(ctx)
        cut = (
            None
            if truncated is None
            else ctx.conn.execute(select(func.max(order[0])).where(self.mine(ctx), col <= value, truncated)).scalar()
        )
        after, before = self._after(ctx), self._before(ctx)
        width = len(after)
        newest: dict[tuple[Any, ...], Any] = {}
        query = select(*after, store).where(*upto, *(k.is_not(None) for k in after))
        query = query.order_by(*after, order[0].desc()).ext(distinct_on(*after))
        wanted, columns = self.recorded(ctx), ctx.live_info.columns
        out: dict[tuple[Any, ...], dict[str, Any] | None] = {}
        for row in ctx.conn.execute(query).mappings():
            key = tuple(row[c.name] for c in after)
            newest[key] = row[order[0].name]
            op, data = self.state(ctx, row)
            if op is Op.DELETE or (cut is not None and row[order[0].name] < cut):
                out[key] = None
                continue
            try:
                out[key] = {c: decode(data[c], columns[c].type, None) for c in wanted if c in data}
            except Undecodable as exc:
                raise DamagedHistory(f"{ctx.det.store} row {row[order[0].name]}: {exc}") from exc
        # a key whose row moved to another key by T (an UPDATE of the key) did not exist under it then
        moves = select(*before, order[0]).where(
            *upto,
            *(k.is_not(None) for k in before),
            or_(*(b.is_distinct_from(a) for a, b in zip(after, before, strict=True))),
        )
        moves = moves.order_by(*before, order[0].desc()).ext(distinct_on(*before))
        for move in ctx.conn.execute(moves):
            key, moved_at = tuple(move[:width]), move[width]
            if newest.get(key) is None or newest[key] < moved_at:
                out[key] = None
        yield from out.items()

    def steps(self, ctx: WriteContext, stage: Table, columns: Sequence[str]) -> list[Step]:
        self.check(ctx)
        out = self.writer.audited(ctx, "UPDATE")
        return [*out.steps, update_live(ctx, stage, columns), insert_live(ctx, stage, columns)]

    def undo(self, ctx: WriteContext, group: Any) -> dict[tuple[Any, ...], Undo] | None:
        """What change set ``group`` (a transaction id, or a ``Span``) did to each of its keys, from the log rows
        of those keys (shapes/trigger_log_undo.py)."""
        return trigger_log_undo(self, ctx, group)

    def delete_steps(self, ctx: WriteContext, stage: Table) -> list[Step]:
        """One DELETE of the staged live rows: the row trigger logs each deletion, as for a single delete."""
        if "DELETE" in unaudited(self.writer.triggers(ctx.live_info)):
            raise UnsupportedOperation(f"{ctx.det.live} has no enabled {ctx.det.adapter} trigger for DELETE")
        return [*self.writer.audited(ctx, "DELETE").steps, delete_live(ctx, stage)]


def among(cols: Sequence[Any], values: Any) -> ColumnElement[bool]:
    """``cols`` (one column, or a tuple of them) is among ``values`` (a list, or a query)."""
    return tuple_(*cols).in_(values) if len(cols) > 1 else cols[0].in_(values)
