"""Set-based restores and reverts for Flask-Potion's ``history_record``: many rows to their state at one time, and
the rows of an inferred change set back to the state before it.

Potion stores only the old and new values of each PATCH, so a state at T is the record's timeline as the reader
builds it from the live row and every history_record of the record (a thousand records read at a time,
shapes/timeline_bulk.py); a state a gap in the differences leaves not fully known refuses the whole restore. A row
with no history_record was never PATCHed: unchanged since (``missing_is_current``). Statements, as the row writer
(write.py) makes them: one multi-row INSERT of a history_record per restored row (the changed fields, old and new
in Potion's output format, attribute names and ``$ref`` prefixes learnt from the table's records, ``updated_at`` =
now), then the live rows' UPDATE and the re-created rows' INSERT (Potion records nothing on create). Potion has no
place for an actor or a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.sql import Select

from chrono_cli.conventions.base import ReadContext
from chrono_cli.conventions.builtin.potion.adapter import PotionAdapter
from chrono_cli.conventions.builtin.potion.write import history_record, record_styles
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.shapes.bulk import insert_live, locked_rows, update_live
from chrono_cli.conventions.shapes.staging import ABSENT, STAGE
from chrono_cli.conventions.shapes.timeline_bulk import Key, Read, TimelineChunks
from chrono_cli.conventions.shapes.window import time_pair
from chrono_cli.conventions.writes.base import Step, WriteContext
from chrono_cli.errors import UnsupportedOperation
from chrono_cli.model import RowKey

READER = PotionAdapter()


class PotionBulk(TimelineChunks):
    """Flask-Potion ``history_record``."""

    missing_is_current: ClassVar[bool] = True

    def check(self, ctx: WriteContext) -> None:
        if len(ctx.det.key) != 1:
            raise UnsupportedOperation(f"{ctx.det.live}: history_record names a record by one integer object_id")

    def notes(self, ctx: WriteContext) -> list[str]:
        return [*super().notes(ctx), "Potion: one history_record per restored row (the changed fields, as a PATCH "
                "records them); nothing is recorded for a re-created row, as Potion records no creation"]

    def recorded(self, ctx: WriteContext) -> list[str]:
        skip = set(ctx.config.unrecorded) | set(ctx.det.key)
        return [c for c in ctx.live_info.columns if c not in skip]

    def changed_since(self, ctx: WriteContext, since: datetime) -> Select[Any]:
        store = ctx.store
        col, value = time_pair(store.c.updated_at, since, ctx.config.timezone, ctx.conn.dialect.name)
        return select(store.c.object_id.label(ctx.det.key[0])).where(
            store.c.object_type == ctx.det.live.name, col >= value).distinct()

    def timelines(self, ctx: WriteContext, keys: Sequence[Key]) -> dict[Key, Read]:
        """One query for the keys' history_records (oldest first), one for their live rows; each record's versions
        built by the reader from them."""
        store, (name,) = ctx.store, ctx.det.key
        query = (select(store).where(store.c.object_type == ctx.det.live.name,
                                     store.c.object_id.in_([k[0] for k in keys]))
                 .order_by(store.c.updated_at, store.c.id))
        found: dict[Key, list[Any]] = {}
        for row in ctx.conn.execute(query).mappings():
            found.setdefault((row["object_id"],), []).append(row)
        currents = self.live_rows(ctx, list(found), None)
        read = ReadContext(ctx.conn, ctx.snapshot, ctx.config)
        return {k: (READER.versions_of(read, ctx.det, RowKey(((name, k[0]),)), records, currents.get(k)),
                    currents.get(k)) for k, records in found.items()}

    def steps(self, ctx: WriteContext, stage: Table, columns: Sequence[str]) -> list[Step]:
        records = self._records(ctx, stage, columns)
        return [*([records] if records else []), update_live(ctx, stage, columns), insert_live(ctx, stage, columns)]

    def _records(self, ctx: WriteContext, stage: Table, columns: Sequence[str]) -> Step | None:
        """One history_record per restored (not re-created) row, as the row writer makes it: the staged values
        that differ from the locked live row, in column order."""
        label = f"{ctx.store.name}: one record per restored row (the changed fields; none for a re-created row)"
        target = insert(ctx.store_info.insert_table())
        if stage.name == STAGE:  # planning: the staging table does not exist yet; documents are per row
            return Step(target.values({n: bindparam(n) for n in ("object_type", "object_id", "updated_at",
                                                                  "changes")}), label)
        names = list(ctx.live.columns.keys())
        current = {k: dict(zip(names, row, strict=True)) for k, row in locked_rows(ctx, stage).items()}
        styles = record_styles(ctx)
        (name,) = ctx.det.key
        records = []
        for row in ctx.conn.execute(select(stage).where(stage.c[ABSENT].is_(False))).mappings():
            before = current[(row[name],)]
            changes = [(c, before[c], row[c]) for c in columns if not same(before[c], row[c])]
            if changes:
                records.append(history_record(ctx, row[name], changes, styles))
        return Step(target.values(records), label) if records else None
