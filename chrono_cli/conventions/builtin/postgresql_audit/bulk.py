"""Set-based restores for postgresql-audit: the state at T of each key is its newest activity at or before T
(``old_data || changed_data``; a delete, or no activity, means the row did not exist then). The write is what
one library session does: the transaction row with the actor first, then one UPDATE and one INSERT of the live
rows; the statement-level audit triggers write one activity per row. A revert's reading of what a transaction did
is the trigger logs' (shapes/trigger_log_undo.py, through ``TriggerLogBulk``), its deletes one DELETE after the
transaction row.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, cast, func, select, tuple_
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.builtin.postgresql_audit.adapter import VERBS, PostgresqlAuditAdapter
from chrono_cli.conventions.builtin.postgresql_audit.store import audit_triggers, excluded
from chrono_cli.conventions.builtin.postgresql_audit.write import PostgresqlAuditWriter
from chrono_cli.conventions.decode import Undecodable, decode
from chrono_cli.conventions.shapes.bulk import insert_live, update_live
from chrono_cli.conventions.shapes.common import as_json
from chrono_cli.conventions.shapes.trigger_log import unaudited
from chrono_cli.conventions.shapes.trigger_log_bulk import TriggerLogBulk
from chrono_cli.conventions.shapes.window import time_pair
from chrono_cli.conventions.writes.base import Step, WriteContext
from chrono_cli.errors import DamagedHistory, Refused
from chrono_cli.model import Op


class PostgresqlAuditBulk(TriggerLogBulk):
    """postgresql-audit ``activity``: states from the log, writes through the live table."""

    time_column = "issued_at"

    def __init__(self, reader: PostgresqlAuditAdapter) -> None:
        super().__init__(PostgresqlAuditWriter(), reader)

    def check(self, ctx: WriteContext) -> None:
        return None  # the writes refuse a missing trigger (``steps``)

    def meta_notes(self, ctx: WriteContext) -> list[str]:
        return []  # the writer's session sets up the transaction row: not asked for notes

    def mine(self, ctx: WriteContext) -> ColumnElement[bool]:
        """The activity rows of this table, as the reader selects them (by schema where the log records it)."""
        store = ctx.store
        schema = ctx.det.live.schema or ctx.snapshot.default_schema
        named = store.c.table_name == ctx.det.live.name
        return and_(named, store.c.schema_name == schema) if schema and "schema_name" in store.c else named

    def key_after(self, ctx: WriteContext, name: str) -> ColumnElement[Any]:
        return func.coalesce(ctx.store.c.changed_data[name].astext, ctx.store.c.old_data[name].astext)

    def key_before(self, ctx: WriteContext, name: str) -> ColumnElement[Any]:
        key: ColumnElement[Any] = ctx.store.c.old_data[name].astext
        return key

    def state(self, ctx: WriteContext, row: Mapping[str, Any]) -> tuple[Op, dict[str, Any]]:
        return (VERBS.get(str(row["verb"]).lower(), Op.UNKNOWN),
                {**(as_json(row["old_data"]) or {}), **(as_json(row["changed_data"]) or {})})

    def truncated(self, ctx: WriteContext) -> ColumnElement[bool] | None:
        return None

    def excluded(self, ctx: WriteContext) -> tuple[str, ...]:
        return excluded(ctx.live_info)

    def recorded(self, ctx: WriteContext) -> list[str]:
        skip = set(excluded(ctx.live_info)) | set(ctx.config.unrecorded) | set(ctx.det.key)
        return [c for c in ctx.live_info.columns if c not in skip]

    def _keys(self, ctx: WriteContext) -> list[Any]:
        """The record key of an activity row, typed as the live key columns."""
        store, live = ctx.store, ctx.live
        return [cast(func.coalesce(store.c.old_data[k].astext, store.c.changed_data[k].astext), live.c[k].type)
                .label(f"chrono_key_{i}") for i, k in enumerate(ctx.det.key)]

    def _mine(self, ctx: WriteContext) -> ColumnElement[bool]:
        return ctx.store.c.table_name == ctx.det.live.name

    def changed_since(self, ctx: WriteContext, since: datetime) -> Select[Any]:
        store = ctx.store
        col, value = time_pair(store.c.issued_at, since, None, ctx.conn.dialect.name)
        return select(*self._keys(ctx)).where(self._mine(ctx), col >= value).distinct()

    def key_filter(self, ctx: WriteContext, table: Table, keys: Sequence[tuple[Any, ...]],
                   since: datetime | None) -> Iterator[ColumnElement[bool]]:
        if table is not ctx.store:
            yield from super().key_filter(ctx, table, keys, since)
            return
        cols = self._keys(ctx)
        if since is not None:
            changed = self.changed_since(ctx, since).subquery()
            yield tuple_(*cols).in_(select(*changed.c)) if len(cols) > 1 else cols[0].in_(select(*changed.c))
            return
        for i in range(0, len(keys), 1000):
            chunk = list(keys[i:i + 1000])
            yield tuple_(*cols).in_(chunk) if len(cols) > 1 else cols[0].in_([k[0] for k in chunk])

    def states_where(self, ctx: WriteContext, at: datetime, keys: ColumnElement[bool] | None,
                     ) -> Iterator[tuple[tuple[Any, ...], dict[str, Any] | None]]:
        store = ctx.store
        col, value = time_pair(store.c.issued_at, at, None, ctx.conn.dialect.name)
        key_cols = self._keys(ctx)
        query = select(*key_cols, store.c.id, store.c.verb, store.c.old_data, store.c.changed_data).where(
            and_(self._mine(ctx), col <= value))
        if keys is not None:
            query = query.where(keys)
        # the newest activity of each key at or before T (PostgreSQL's DISTINCT ON)
        query = query.order_by(*key_cols, store.c.id.desc()).ext(distinct_on(*key_cols))
        columns = ctx.live_info.columns
        wanted = self.recorded(ctx)
        width = len(key_cols)
        for row in ctx.conn.execute(query):
            key = tuple(row[:width])
            if str(row.verb).lower() == "delete":
                yield key, None
                continue
            data = {**(as_json(row.old_data) or {}), **(as_json(row.changed_data) or {})}
            try:
                yield key, {c: decode(data[c], columns[c].type, None) for c in wanted if c in data}
            except Undecodable as exc:
                raise DamagedHistory(f"{ctx.det.store} id {row.id}: {exc}") from exc

    def steps(self, ctx: WriteContext, stage: Table, columns: Sequence[str]) -> list[Step]:
        if "INSERT" in unaudited(audit_triggers(ctx.live_info)):
            raise Refused(f"{ctx.det.live} has no enabled postgresql-audit trigger for INSERT: re-created rows would "
                          f"leave no row in {ctx.det.store}")
        out = PostgresqlAuditWriter().audited(ctx, "UPDATE")  # refuses without the UPDATE trigger
        return [*out.steps, update_live(ctx, stage, columns), insert_live(ctx, stage, columns)]
