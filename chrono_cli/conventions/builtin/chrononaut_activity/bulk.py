"""Set-based restores and reverts for Chrononaut 0.3/0.4's ``chrononaut_activity``: many rows to their state at one
time, and the rows of an inferred change set back to the state before it.

State at T: the key's timeline as the reader builds it (an activity row is the state after its change, a version-0
row after another marks a re-insert and so the deletion before it, the live row adds a change that bypassed
Chrononaut), read for a thousand keys at a time (shapes/timeline_bulk.py). Statements, as the row writer (write.py)
makes them for each row: one multi-row INSERT of the activity rows (the new state encoded as Chrononaut encodes it,
``version`` = the live version + 1, or 0 for a re-insert, ``user_info`` and ``extra_info`` from --actor and
--reason, ``changed`` = now), then the live rows' UPDATE (``version`` + 1) and the re-inserts' INSERT (version 0).
A set-based delete (a revert of rows the set created) writes each row's last state under version + 1, then
deletes the rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Table, bindparam, func, insert, literal, select
from sqlalchemy.sql import Select

from chrono_cli.conventions.base import ReadContext
from chrono_cli.conventions.builtin.chrononaut_activity.adapter import (
    ChrononautActivityAdapter,
    key_matcher,
    keys_condition,
)
from chrono_cli.conventions.builtin.chrononaut_activity.write import (
    activity_row,
    attributes,
    enum_prefixes,
    table_data,
)
from chrono_cli.conventions.decode import Undecodable, decode
from chrono_cli.conventions.shapes.bulk import CHUNK, delete_live, insert_live, locked_rows, update_live
from chrono_cli.conventions.shapes.common import as_json
from chrono_cli.conventions.shapes.staging import ABSENT, STAGE
from chrono_cli.conventions.shapes.timeline_bulk import Key, Read, TimelineChunks
from chrono_cli.conventions.shapes.window import time_pair
from chrono_cli.conventions.writes.base import Step, WriteContext
from chrono_cli.model import RowKey

READER = ChrononautActivityAdapter()
FIELDS = ("table_name", "changed", "version", "key", "data", "user_info", "extra_info")


class ChrononautActivityBulk(TimelineChunks):
    """Chrononaut 0.4 ``chrononaut_activity``."""

    bypass: ClassVar[str | None] = ("the live row differs from its newest activity row (a write bypassed "
                                    "Chrononaut), so its current state is not in the history")

    def notes(self, ctx: WriteContext) -> list[str]:
        return ["Chrononaut: one activity row per restored row (the new state, version + 1; version 0 for a "
                "re-created row)"]

    def recorded(self, ctx: WriteContext) -> list[str]:
        """The columns the table's newest activity row records (hidden and untracked columns are not)."""
        memo = ctx.shared.memo("chrononaut_recorded")
        where = str(ctx.det.live)
        if where not in memo:
            tracked = set(attributes(ctx, table_data(ctx)).values())
            memo[where] = [c for c in ctx.live_info.columns if c in tracked and c not in ctx.det.key]
        return list(memo[where])

    def changed_since(self, ctx: WriteContext, since: datetime) -> Select[Any]:
        store = ctx.store
        col, value = time_pair(store.c.changed, since, ctx.config.timezone, ctx.conn.dialect.name)
        return select(store.c.key).where(store.c.table_name == ctx.det.live.name, col >= value).distinct()

    def keys_since(self, ctx: WriteContext, since: datetime) -> list[Key]:
        """The keys of the activity rows since ``since``, decoded to the live key's types."""
        names, columns = ctx.det.key, ctx.live_info.columns
        out: dict[Key, None] = {}
        for raw in ctx.conn.execute(self.changed_since(ctx, since)).scalars():
            doc = as_json(raw)
            if not isinstance(doc, dict) or set(doc) != set(names):
                continue
            try:
                out[tuple(decode(doc[c], columns[c].type) for c in names)] = None
            except Undecodable:
                continue  # a key that names no row of this table's key types
        return list(out)

    def timelines(self, ctx: WriteContext, keys: Sequence[Key]) -> dict[Key, Read]:
        """The keys' timelines as the reader builds them, read a chunk at a time (``adapter.timelines``)."""
        read = ReadContext(ctx.conn, ctx.snapshot, ctx.config)
        found = READER.timelines(read, ctx.det, [RowKey(tuple(zip(ctx.det.key, k, strict=True))) for k in keys])
        return {tuple(v for _, v in key.items): timeline for key, timeline in found.items()}

    def steps(self, ctx: WriteContext, stage: Table, columns: Sequence[str]) -> list[Step]:
        vcol = ctx.live.c[ctx.det.version_col or "version"]
        activity = self._activity(ctx, stage, columns)
        return [*([activity] if activity else []),
                update_live(ctx, stage, columns, {vcol.name: func.coalesce(vcol, 0) + 1}),
                insert_live(ctx, stage, columns, {vcol.name: literal(0, vcol.type)})]

    def delete_steps(self, ctx: WriteContext, stage: Table) -> list[Step]:
        """What deleting each staged row through Chrononaut leaves: an activity row holding its last state under
        version + 1 (no delete marker), then the row deleted."""
        activity = self._activity(ctx, stage, (), delete=True)
        return [*([activity] if activity else []), delete_live(ctx, stage)]

    def _activity(self, ctx: WriteContext, stage: Table, columns: Sequence[str], *,
                  delete: bool = False) -> Step | None:
        """One activity row per staged row, as the row writer makes it: its attributes those of the key's newest
        activity row, its state the locked live row with the staged values."""
        what = "the last state, version + 1 (the deletion)" if delete else \
            "the new state, version + 1 (0 for a re-created row)"
        label = f"{ctx.store.name}: one activity row per {'deleted' if delete else 'restored'} row ({what})"
        target = insert(ctx.store_info.insert_table())
        if stage.name == STAGE:  # planning: the staging table does not exist yet; documents are per row
            return Step(target.values({n: bindparam(n) for n in FIELDS}), label)
        names, vname = list(ctx.live.columns.keys()), ctx.det.version_col or "version"
        current = {k: dict(zip(names, row, strict=True)) for k, row in locked_rows(ctx, stage).items()}
        staged = list(ctx.conn.execute(select(stage)).mappings())
        keys = [tuple(r[c] for c in ctx.det.key) for r in staged]
        newest = self._newest_attributes(ctx, keys)
        fallback = attributes(ctx, table_data(ctx)) if len(newest) < len(keys) else {}
        prefixes: dict[frozenset[str], dict[str, str]] = {}
        records = []
        for row, key in zip(staged, keys, strict=True):
            attrs = newest.get(key, fallback)
            shape = frozenset(attrs)
            if shape not in prefixes:
                prefixes[shape] = enum_prefixes(ctx, attrs)
            rowkey = RowKey(tuple(zip(ctx.det.key, key, strict=True)))
            if delete:
                state, number = current[key], (current[key][vname] or 0) + 1
            elif row[ABSENT]:
                state, number = {**dict(zip(ctx.det.key, key, strict=True)), **{c: row[c] for c in columns}}, 0
            else:
                state = {**current[key], **{c: row[c] for c in columns}}
                number = (current[key][vname] or 0) + 1
            records.append(activity_row(ctx, rowkey, state, attrs, number, (), prefixes[shape]))
        return Step(target.values(records), label) if records else None

    def _newest_attributes(self, ctx: WriteContext, keys: list[Key]) -> dict[Key, dict[str, str]]:
        """Each key's attributes as its newest activity row holds them (the row writer encodes those)."""
        store = ctx.store
        read = ReadContext(ctx.conn, ctx.snapshot, ctx.config)
        out: dict[Key, dict[str, str]] = {}
        shapes: dict[frozenset[str], dict[str, str]] = {}
        for i in range(0, len(keys), CHUNK):
            chunk = [RowKey(tuple(zip(ctx.det.key, k, strict=True))) for k in keys[i:i + CHUNK]]
            n = func.row_number().over(partition_by=store.c.key, order_by=(store.c.changed.desc(), store.c.id.desc()))
            ranked = select(store.c.key, store.c.data, n.label("n")).where(
                store.c.table_name == ctx.det.live.name, keys_condition(read, ctx.det, chunk)).subquery()
            match = key_matcher(ctx.det, chunk)
            for raw, data in ctx.conn.execute(select(ranked.c.key, ranked.c.data).where(ranked.c.n == 1)):
                key, data = match(raw), as_json(data)
                if key is None or not isinstance(data, dict):
                    continue
                shape = frozenset(data)
                if shape not in shapes:
                    shapes[shape] = attributes(ctx, data)
                out[tuple(v for _, v in key.items)] = shapes[shape]
        return out
