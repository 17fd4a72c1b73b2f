"""Set-based restores for PaperTrail: many rows to their state at one time.

State at T: the ``object`` of the record's first version stamped after T (the state before it), nothing when that
version is a ``create``; no version after T: unchanged since. Statements: the live rows' UPDATE (``updated_at`` =
now) and INSERT from the staging table, and one multi-row INSERT of the versions PaperTrail writes for them: an
``update`` per changed row (``object`` = the row before, serialized per row), a ``create`` per re-created row,
each under the item_type and item_subtype of the record's newest version (as the row-by-row writer copies them).
The documents are built from the staged rows when the write runs; the plan shows the statement's form. For
``chrono revert`` of an inferred change set: what it did to each of its keys (undo.py) and the set-based delete of
the rows it created (a ``destroy`` version each, then one DELETE).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Table, bindparam, func, insert, literal, select
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.builtin.paper_trail import codec
from chrono_cli.conventions.builtin.paper_trail.adapter import OPS, PaperTrailOptions, item_types
from chrono_cli.conventions.builtin.paper_trail.undo import paper_trail_undo
from chrono_cli.conventions.builtin.paper_trail.versions import (
    metadata_notes,
    one_type,
    skipped_columns,
    store_form,
    version_record,
)
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.shapes.bulk import (
    CHUNK,
    BulkWriter,
    Span,
    Undo,
    delete_live,
    insert_live,
    locked_rows,
    update_live,
)
from chrono_cli.conventions.shapes.staging import ABSENT, KEPT, STAGE
from chrono_cli.conventions.shapes.window import time_pair
from chrono_cli.conventions.writes.base import Step, WriteContext
from chrono_cli.conventions.writes.values import stamp
from chrono_cli.model import Op


class PaperTrailBulk(BulkWriter):
    """Rails PaperTrail ``versions``."""

    missing_is_current: ClassVar[bool] = True

    def bookkeeping(self, ctx: WriteContext) -> frozenset[str]:
        return frozenset({"updated_at"})

    def notes(self, ctx: WriteContext) -> list[str]:
        return ["PaperTrail: a row whose first version after the time is its create did not exist then (left "
                "alone); updated_at is set to now, as ActiveRecord does on every save"]

    def recorded(self, ctx: WriteContext) -> list[str]:
        skip = skipped_columns(ctx) | self.bookkeeping(ctx)
        return [c for c in ctx.live_info.columns if c not in ctx.det.key and c not in skip]

    def _types(self, ctx: WriteContext) -> list[str]:
        return item_types(ctx.conn, ctx.store, ctx.det.live.name, ctx.config.model)

    def mine(self, ctx: WriteContext) -> ColumnElement[bool]:
        return ctx.store.c.item_type.in_(self._types(ctx))

    def changed_since(self, ctx: WriteContext, since: datetime) -> Select[Any]:
        store = ctx.store
        col, value = time_pair(store.c.created_at, since, ctx.config.timezone, ctx.conn.dialect.name)
        return select(store.c.item_id.label(ctx.det.key[0])).where(self.mine(ctx), col >= value).distinct()

    def key_filter(self, ctx: WriteContext, table: Table, keys: Sequence[tuple[Any, ...]],
                   since: datetime | None) -> Iterator[ColumnElement[bool]]:
        if table is not ctx.store:
            yield from super().key_filter(ctx, table, keys, since)
            return
        if since is not None:
            yield ctx.store.c.item_id.in_(select(*self.changed_since(ctx, since).subquery().c))
            return
        for i in range(0, len(keys), CHUNK):
            yield ctx.store.c.item_id.in_([k[0] for k in keys[i:i + CHUNK]])

    def states_where(self, ctx: WriteContext, at: datetime, keys: ColumnElement[bool] | None,
                     ) -> Iterator[tuple[tuple[Any, ...], dict[str, Any] | None]]:
        store = ctx.store
        col, value = time_pair(store.c.created_at, at, ctx.config.timezone, ctx.conn.dialect.name)
        query = select(store.c.item_id, store.c.event, store.c.object).where(self.mine(ctx), col > value)
        if keys is not None:
            query = query.where(keys)
        columns = ctx.live_info.columns
        wanted = self.recorded(ctx)
        seen: set[Any] = set()
        for item_id, event, raw in ctx.conn.execute(query.order_by(store.c.item_id, store.c.created_at, store.c.id)):
            if item_id in seen:
                continue
            seen.add(item_id)
            doc = codec.parse(raw)
            if OPS.get(str(event)) is Op.INSERT or not isinstance(doc, dict):
                yield (item_id,), None
                continue
            tz = ctx.config.timezone
            yield (item_id,), {c: codec.column_value(doc[c], columns[c], tz) for c in wanted if c in doc}

    def undo(self, ctx: WriteContext, group: Any) -> dict[tuple[Any, ...], Undo] | None:
        """An inferred set's keys (``group``: a ``Span``; see undo.py). chrono groups PaperTrail's versions into
        inferred sets only (the optional ``transaction_id`` column is not read), so anything else is None."""
        return paper_trail_undo(self, ctx, group) if isinstance(group, Span) else None

    def steps(self, ctx: WriteContext, stage: Table, columns: Sequence[str]) -> list[Step]:
        info = ctx.live_info
        now = stamp(ctx.now, info.columns["updated_at"].type, ctx.config.timezone) \
            if "updated_at" in info.columns else None
        stamped = {"updated_at": literal(now, info.columns["updated_at"].type)} if now is not None else {}
        versions = self._versions(ctx, stage, columns, now)
        return [*([versions] if versions else []), update_live(ctx, stage, columns, stamped),
                insert_live(ctx, stage, columns, stamped)]

    def kept_columns(self, ctx: WriteContext, stage: Table, columns: Sequence[str],
                     current: dict[tuple[Any, ...], dict[str, Any]], staged: list[Any]) -> None:
        """Note on the stage the columns no updated row changes: the UPDATE leaves them alone, as the row-by-row
        writer writes only a row's changes (a JSON value written back may be stored as other text)."""
        changed = {c for row in staged if not row[ABSENT] for c in columns
                   if not same(current[tuple(row[k] for k in ctx.det.key)][c], row[c])}
        stage.info[KEPT] = tuple(dict.fromkeys((*stage.info.get(KEPT, ()), *(c for c in columns if c not in changed))))

    def delete_steps(self, ctx: WriteContext, stage: Table) -> list[Step]:
        """What ``destroy`` leaves for every staged row: a ``destroy`` version (object = the row, every attribute
        changed to nil, stamped now), then the row deleted."""
        versions = self._versions(ctx, stage, (), None, destroy=True)
        return [*([versions] if versions else []), delete_live(ctx, stage)]

    def _versions(self, ctx: WriteContext, stage: Table, columns: Sequence[str], now: Any, *,
                  destroy: bool = False) -> Step | None:
        """One version per staged row, as the row-by-row writer makes it (write.py): its documents from the locked
        live row and the staged values, its item_type and item_subtype those of the record's newest version."""
        kind = "destroy" if destroy else "update, or create when re-created"
        label = f"{ctx.store.name}: one PaperTrail version per {'deleted' if destroy else 'restored'} row ({kind})"
        target = insert(ctx.store_info.insert_table())
        if stage.name == STAGE:  # planning: the staging table does not exist yet; documents are per row
            names = ["item_type", "item_id", "event", "whodunnit", "object", "created_at"]
            names += ["object_changes"] if ctx.det.opts(PaperTrailOptions).changes else []
            return Step(target.values({n: bindparam(n) for n in names}), label)
        live_names = list(ctx.live.columns.keys())
        current = {k: dict(zip(live_names, row, strict=True)) for k, row in locked_rows(ctx, stage).items()}
        form, skipped = store_form(ctx), skipped_columns(ctx)
        known = self._identities(ctx, stage)
        at = now if now is not None else ctx.now
        records = []
        staged = list(ctx.conn.execute(select(stage)).mappings())
        if not destroy:
            self.kept_columns(ctx, stage, columns, current, staged)
        for row in staged:
            key = tuple(row[c] for c in ctx.det.key)
            item_type, subtype = known.get(key[0]) or (one_type(ctx, self._types(ctx)), None)
            if destroy:
                before = {c: v for c, v in current[key].items() if c not in skipped}
                records.append(version_record(ctx, form, "destroy", item_type, key[0], subtype, before,
                                              {c: [v, None] for c, v in before.items()}, ctx.now))
                continue
            new = {c: row[c] for c in columns}
            if row[ABSENT]:
                values = {**dict(zip(ctx.det.key, key, strict=True)), **new}
                created = {c: [None, values[c]] for c in live_names
                           if c in values and values[c] is not None and c not in skipped}
                if now is not None:
                    created["updated_at"] = [None, now]
                records.append(version_record(ctx, form, "create", item_type, key[0], subtype, None, created, at))
                continue
            before = current[key]
            diff = {c: [before[c], new[c]] for c in columns if not same(before[c], new[c]) and c not in skipped}
            if now is not None:
                diff["updated_at"] = [before.get("updated_at"), now]
            kept = {c: v for c, v in before.items() if c not in skipped}
            records.append(version_record(ctx, form, "update", item_type, key[0], subtype, kept, diff, at))
        notes = metadata_notes(ctx)
        if not records:
            return None
        return Step(target.values(records), label + ("; " + "; ".join(notes) if notes else ""))

    def _identities(self, ctx: WriteContext, stage: Table) -> dict[Any, tuple[str, str | None]]:
        """Each staged record's item_type and item_subtype as its newest version holds them (by item_id)."""
        store = ctx.store
        subtype = store.c.item_subtype if ctx.det.opts(PaperTrailOptions).subtype else literal(None)
        newest = func.row_number().over(partition_by=store.c.item_id,
                                        order_by=(store.c.created_at.desc(), store.c.id.desc()))
        ranked = select(store.c.item_id, store.c.item_type, subtype.label("subtype"), newest.label("n")).where(
            self.mine(ctx), store.c.item_id.in_(select(stage.c[ctx.det.key[0]]))).subquery()
        query = select(ranked.c.item_id, ranked.c.item_type, ranked.c.subtype).where(ranked.c.n == 1)
        return {item_id: (item_type, sub) for item_id, item_type, sub in ctx.conn.execute(query)}
