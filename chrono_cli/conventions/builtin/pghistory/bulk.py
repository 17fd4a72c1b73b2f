"""Set-based restores for django-pghistory: one context, then plain UPDATE/INSERT; the triggers write the events.

State at T: the newest event at or before T (the record's timeline). Statements: the context ``set_config`` of
the write (one ``pghistory_context`` row for every event, as one ``pghistory.context()`` block would give them),
one UPDATE of the live rows and one INSERT of the re-created ones; the table's row triggers write one event per
row (``pgh_created_at`` = the transaction's start, as for any transaction). For ``chrono revert``: a change set is
a context (``pgh_context_id``) or inferred (events without one); the rows it created are deleted with one DELETE
in the same context, the DELETE trigger writing their events.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.sql import Select

from chrono_cli.conventions.base import ReadContext
from chrono_cli.conventions.builtin.pghistory.adapter import (
    CONTEXT,
    CREATED,
    ID,
    OBJ,
    PghistoryAdapter,
    PghistoryOptions,
)
from chrono_cli.conventions.builtin.pghistory.write import PghistoryWriter, context_step
from chrono_cli.conventions.django_bulk import TimelineBulk
from chrono_cli.conventions.shapes.bulk import Undo, delete_live
from chrono_cli.conventions.shapes.staging import STAGE
from chrono_cli.conventions.shapes.window import time_pair
from chrono_cli.conventions.writes.base import Step, WriteContext
from chrono_cli.model import Version
from chrono_cli.records import replace


class PghistoryBulk(TimelineBulk):
    """django-pghistory event tables (trigger-written)."""

    reader = PghistoryAdapter()

    def check(self, ctx: WriteContext) -> None:
        super().check(ctx)
        PghistoryWriter.on_postgresql(ctx)
        PghistoryWriter.triggers(ctx, "UPDATE")

    def notes(self, ctx: WriteContext) -> list[str]:
        return ["pghistory: the table's triggers write one event per restored row, all in one context"]

    def recorded(self, ctx: WriteContext) -> list[str]:
        skip = set(ctx.config.unrecorded) | set(ctx.det.key)
        return [c for c in ctx.det.opts(PghistoryOptions).tracked if c not in skip]

    def store_key(self, ctx: WriteContext) -> Any:
        return ctx.store.c[OBJ]

    def changed_since(self, ctx: WriteContext, since: datetime) -> Select[Any]:
        col, value = time_pair(ctx.store.c[CREATED], since, ctx.config.timezone, ctx.conn.dialect.name)
        return select(ctx.store.c[OBJ]).where(col >= value).distinct()

    def steps(self, ctx: WriteContext, stage: Table, columns: Sequence[str]) -> list[Step]:
        live = self.live_steps(ctx, stage, columns)
        if stage.name != STAGE and len(live) > 1:
            PghistoryWriter.triggers(ctx, "INSERT")  # a re-created row needs its insert event
        context = context_step(ctx, f"{ctx.det.live}|bulk")
        return [*([context] if context else []), *live]

    def undo(self, ctx: WriteContext, group: Any) -> dict[tuple[Any, ...], Undo] | None:
        """As the Django stores answer (django_bulk.py); without a DELETE trigger the rows the set created are left
        to the row-by-row code, which refuses to delete them (pghistory would record no event)."""
        found = super().undo(ctx, group)
        if found is None or any(t.enabled and "DELETE" in t.events for t in ctx.live_info.triggers):
            return found
        return {k: replace(u, op=None) if u.before is None else u for k, u in found.items()}

    def delete_steps(self, ctx: WriteContext, stage: Table) -> list[Step]:
        """The staged rows deleted in the write's context (one DELETE); the DELETE trigger writes their events."""
        PghistoryWriter.triggers(ctx, "DELETE")
        context = context_step(ctx, f"{ctx.det.live}|bulk")
        return [*([context] if context else []), delete_live(ctx, stage)]

    def group_query(self, ctx: WriteContext, group: Any) -> Select[Any] | None:
        store = ctx.store
        if not isinstance(group, uuid.UUID) or CONTEXT not in store.c:
            return None
        return select(store.c[OBJ]).where(store.c[CONTEXT] == group).order_by(store.c[CREATED].desc())

    def history_query(self, ctx: WriteContext) -> Select[Any]:
        """The events (their context's metadata, actor and reason, not read: an undo does not show them)."""
        store = ctx.store
        return select(store).order_by(store.c[OBJ], store.c[ID])

    def history_states(self, ctx: WriteContext, read: ReadContext, key: tuple[Any, ...], rows: list[Any],
                       live: dict[str, Any] | None) -> list[Version]:
        return self.reader.states(read, ctx.det, rows, live)

    def row_group(self, row: Any) -> tuple[Any, Any]:
        context = row.get(CONTEXT)
        return row[ID], None if context is None else context if isinstance(context, uuid.UUID) \
            else uuid.UUID(str(context))
