"""Set-based restores for django-pghistory: one context, then plain UPDATE/INSERT; the triggers write the events.

State at T: the newest event at or before T (the record's timeline). Statements: the context ``set_config`` of
the write (one ``pghistory_context`` row for every event, as one ``pghistory.context()`` block would give them),
one UPDATE of the live rows and one INSERT of the re-created ones; the table's row triggers write one event per
row (``pgh_created_at`` = the transaction's start, as for any transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.sql import Select

from chrono_cli.conventions.builtin.pghistory.adapter import CREATED, OBJ, PghistoryAdapter, PghistoryOptions
from chrono_cli.conventions.builtin.pghistory.write import PghistoryWriter, context_step
from chrono_cli.conventions.django_bulk import TimelineBulk
from chrono_cli.conventions.shapes.staging import STAGE
from chrono_cli.conventions.shapes.window import time_pair
from chrono_cli.conventions.writes.base import Step, WriteContext


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
