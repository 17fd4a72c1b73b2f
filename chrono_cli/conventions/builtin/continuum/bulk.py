"""Continuum's set-based restore (state at T: the key's newest version row up to the newest transaction issued at
or before T; a delete row, or none, means the record did not exist then).

One transaction row for the whole restore, then (python-side versioning) close the staged keys' open version
rows, one INSERT ... SELECT of the new version rows (operation_type 1, or 0 for a re-insert; ``_mod`` = old IS
DISTINCT FROM new), ``transaction_changes`` and ``transaction_meta`` once; then the live rows. Native
versioning: the transaction row and the live rows only (the triggers write the rest). For ``chrono revert``: what
a transaction did to each of its keys (undo.py) and the set-based delete of the rows it created; the tables of one
revert share its transaction row. An association table's link rows (``is_link``) are only re-inserted or deleted, each
with the version row Continuum's execute hook writes (operation_type 0 or 2; no open row closed, no
``transaction_changes`` entry), as the row-by-row writer writes them; they have no states to restore at a time.
A joined-inheritance table's objects (``whole_objects``) are written whole by a restore and a revert alike, a part
per table of the hierarchy (``OBJECTS`` on the stage: the ancestor tables' parts record no ``transaction_changes``
entry of their own, only the object's class is; services/bulk_joined.py, services/revert_objects.py), as
``joined_steps`` writes one object; where that cannot be, the restore writes them one by one
(services/bulk_objects.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, case, exists, false, func, insert, literal, select, true
from sqlalchemy.sql import Select

from chrono_cli.conventions.builtin.continuum import undo
from chrono_cli.conventions.builtin.continuum.adapter import entity_name
from chrono_cli.conventions.builtin.continuum.joined import (
    ancestors,
    is_joined,
    own_class,
    subclass_keys,
    subclass_tables,
)
from chrono_cli.conventions.builtin.continuum.options import ContinuumOptions
from chrono_cli.conventions.builtin.continuum.write import ContinuumWriter, actor_notes, is_link
from chrono_cli.conventions.shapes.bulk import (
    GONE,
    OBJECTS,
    BulkWriter,
    Undo,
    delete_live,
    insert_live,
    joined,
    update_live,
)
from chrono_cli.conventions.shapes.staging import ABSENT, KEPT
from chrono_cli.conventions.shapes.window import time_pair
from chrono_cli.conventions.writes.base import Step, WriteContext, find_info
from chrono_cli.errors import Refused, UnsupportedOperation
from chrono_cli.model import TableRef


class ContinuumBulk(BulkWriter):
    """SQLAlchemy-Continuum ``<table>_version`` + ``transaction``."""

    raw_states = True

    def bookkeeping(self, ctx: WriteContext) -> frozenset[str]:
        return frozenset(a.name for a in ctx.det.opts(ContinuumOptions).associations)

    def recorded(self, ctx: WriteContext) -> list[str]:
        versioned = set(ctx.det.opts(ContinuumOptions).versioned_columns)
        return [c for c in ctx.live_info.columns if c in versioned and c not in ctx.det.key]

    def _tx(self, ctx: WriteContext) -> Table:
        name = ctx.det.opts(ContinuumOptions).transaction_table
        info = find_info(ctx, name)
        if info is None:
            raise Refused(f"the transaction table {name} is not in the schema")
        return info.table()

    def _issued(self, ctx: WriteContext, tx: Table, value: datetime) -> tuple[Any, Any]:
        return time_pair(tx.c.issued_at, value, ctx.config.timezone, ctx.conn.dialect.name)

    def changed_since(self, ctx: WriteContext, since: datetime) -> Select[Any]:
        """The keys with a version row since ``since``; of a joined-inheritance child, also those whose object
        changed only in an ancestor table since: native versioning's triggers version only the tables a statement
        writes (Continuum's own versioning writes a version row in every table of the object, so there this adds
        none)."""
        tx, v = self._tx(ctx), ctx.store
        col, value = self._issued(ctx, tx, since)
        txc = ctx.det.opts(ContinuumOptions).transaction_column
        recent = select(tx.c.id).where(col >= value)
        query = select(*(v.c[c] for c in ctx.det.key)).where(v.c[txc].in_(recent)).distinct()
        up = ancestors(ctx)[:-1]
        if not up:
            return query
        union = query.union(*(
            select(*(av.c[m.key[c]] for c in ctx.det.key)).where(
                av.c[txc].in_(recent), exists().where(*(v.c[c] == av.c[m.key[c]] for c in ctx.det.key)))
            for m in up for av in (m.version.table(),))).subquery()
        return select(*union.c)

    def state_query(self, ctx: WriteContext, at: datetime, *, few: bool = False) -> Select[Any]:
        """The key's newest version row up to the newest transaction issued at or before ``at`` (gone: a delete
        row); none at all when no transaction was issued by then."""
        if is_link(ctx.live_info):
            raise UnsupportedOperation("a versioned association table has no states to restore: "
                                       "revert the change sets that changed its links")
        o = ctx.det.opts(ContinuumOptions)
        tx, v = self._tx(ctx), ctx.store
        col, value = self._issued(ctx, tx, at)
        top = ctx.conn.execute(select(func.max(tx.c.id)).where(col <= value)).scalar()
        names, txc = list(ctx.det.key), o.transaction_column
        query = select(*(v.c[c] for c in names), (v.c[o.operation_type_column] == 2).label(GONE),
                       *(v.c[c] for c in self.recorded(ctx)))
        if top is None:
            return query.where(false())
        newer = v.alias("newer")
        return query.where(v.c[txc] <= top, ~exists().where(
            and_(*(newer.c[c] == v.c[c] for c in names)), newer.c[txc] > v.c[txc], newer.c[txc] <= top))

    def steps(self, ctx: WriteContext, stage: Table, columns: Sequence[str]) -> list[Step]:
        self._guard(ctx, stage)
        steps, x = self._opening(ctx)
        if not ctx.det.opts(ContinuumOptions).native:
            steps += self._versions(ctx, stage, columns, x)
        steps += self._meta(ctx, x)
        # an association table's rows are only re-inserted (nothing else of a link row is restored); a joined
        # object's ancestor table none of whose columns a restored row changes gets only its version rows
        kept = stage.info.get(KEPT, ())
        updated = not is_link(ctx.live_info) and any(c not in ctx.det.key and c not in kept for c in columns)
        return steps + ([update_live(ctx, stage, columns)] if updated else []) + [insert_live(ctx, stage, columns)]

    def delete_steps(self, ctx: WriteContext, stage: Table) -> list[Step]:
        """Close the staged keys' open version rows, one INSERT ... SELECT of their operation_type 2 version rows
        (the last state, every ``_mod`` true), then delete the live rows (native versioning: the triggers)."""
        o = ctx.det.opts(ContinuumOptions)
        self._guard(ctx, stage)
        steps, x = self._opening(ctx)
        if not o.native:
            steps += self._close(ctx, stage, x)
            live, info = ctx.live, ctx.store_info
            internal = {o.transaction_column, o.operation_type_column, o.end_transaction_column}
            flags = set(o.mod_columns.values())
            names = [c for c in info.columns if c not in internal]
            exprs = [true() if c in flags else live.c[c] if c in live.c else literal(None) for c in names]
            names += [o.transaction_column, o.operation_type_column]
            exprs += [x, literal(2)]
            query = select(*exprs).select_from(live.join(stage, joined(ctx, stage, live)))
            steps.append(Step(insert(info.insert_table()).from_select(names, query),
                              "version rows: the last states, operation_type 2 (one INSERT for all)"))
            steps += self._changes(ctx, x, stage)
        return steps + self._meta(ctx, x) + [delete_live(ctx, stage)]

    def undo(self, ctx: WriteContext, group: Any) -> dict[tuple[Any, ...], Undo] | None:
        """What transaction ``group`` did to each key (``undo.undo``); a joined-inheritance table's own rows (the
        revert puts an object's rows of every table of its hierarchy together)."""
        if not isinstance(group, int):
            return None
        return undo.undo(ctx, self.recorded(ctx), group)

    def undo_query(self, ctx: WriteContext, group: Any) -> Select[Any] | None:
        """``undo`` in one SELECT (``undo.undo_query``); a joined-inheritance table's own rows, as ``undo``."""
        if not isinstance(group, int):
            return None
        return undo.undo_query(ctx, self.recorded(ctx), group)

    def records_objects(self, ctx: WriteContext) -> bool:
        return not ctx.det.opts(ContinuumOptions).native

    def ancestor_tables(self, ctx: WriteContext) -> list[TableRef] | None:
        up = ancestors(ctx)[:-1]
        if any(any(k != v for k, v in m.key.items()) for m in up):
            return None
        return [m.base.ref for m in up]

    def subclass_keys(self, ctx: WriteContext, keys: Sequence[tuple[Any, ...]]) -> set[tuple[Any, ...]]:
        return subclass_keys(ctx, keys)

    def subclass_tables(self, ctx: WriteContext, keys: Sequence[tuple[Any, ...]],
                        ) -> dict[tuple[Any, ...], tuple[TableRef, ...]] | None:
        return subclass_tables(ctx, keys)

    def meta_notes(self, ctx: WriteContext) -> list[str]:
        return actor_notes(ctx)

    def _opening(self, ctx: WriteContext) -> tuple[list[Step], Any]:
        """The transaction row (once per write: a revert's tables share it) and the expression of its id."""
        o = ctx.det.opts(ContinuumOptions)
        if o.native and (not o.native_enabled or not (o.triggers.transaction if o.triggers else None)):
            raise Refused(f"{ctx.det.live} uses native versioning but its triggers are disabled or missing: "
                          "a write would not be versioned", hint="re-enable the triggers (sync_trigger) first")
        tx_info = find_info(ctx, o.transaction_table)
        if tx_info is None:
            raise Refused(f"the transaction table {o.transaction_table} is not in the schema")
        tx_step, x = ContinuumWriter()._transaction(ctx, tx_info)
        return ([tx_step] if ctx.shared.once("transaction", str(tx_info.ref)) else []), x

    def _meta(self, ctx: WriteContext, x: Any) -> list[Step]:
        o = ctx.det.opts(ContinuumOptions)
        meta = find_info(ctx, o.transaction_meta)
        if meta is None or not ctx.meta.reason or not meta.has("transaction_id", "key", "value") \
                or not ctx.shared.once("transaction_meta", o.transaction_table, "reason"):
            return []
        return [Step(insert(meta.insert_table()).values({"transaction_id": x, "key": "reason",
                                                        "value": ctx.meta.reason}), "transaction_meta: reason")]

    def _changes(self, ctx: WriteContext, x: Any, stage: Table) -> list[Step]:
        """The ``transaction_changes`` entry of the table's class, once; none for a link row (Continuum's execute
        hook records no entity for one) or an ancestor row of a joined object (only the object's class is)."""
        o = ctx.det.opts(ContinuumOptions)
        changes = find_info(ctx, o.transaction_changes)
        if changes is None or is_link(ctx.live_info) or stage.info.get(OBJECTS):
            return []
        name = entity_name(ctx.conn, ctx.snapshot, ctx.det, own_class(ctx))
        if not ctx.shared.once("transaction_changes", o.transaction_table, name):
            return []
        return [Step(insert(changes.insert_table()).values({"transaction_id": x, "entity_name": name}),
                     f"transaction_changes: {name}")]

    def _close(self, ctx: WriteContext, stage: Table, x: Any) -> list[Step]:
        end = ctx.det.opts(ContinuumOptions).end_transaction_column
        if not end or is_link(ctx.live_info):  # Continuum's execute hook closes no link row
            return []
        v = ctx.store
        return [Step(v.update().values({end: x}).where(joined(ctx, stage, v), v.c[end].is_(None)),
                     "close the staged rows' open version rows (end_transaction_id = the new transaction)")]

    def whole_objects(self, ctx: WriteContext) -> bool:
        return is_joined(ctx)

    def check(self, ctx: WriteContext) -> None:
        """Refuse a joined-inheritance table (a bulk restore writes its objects whole instead, ``whole_objects``):
        one object is rows of several tables, written together, where a set-based restore stages, locks and compares
        one live table per part (an association table is refused by ``state_query``: its link rows are only ever
        reverted)."""
        if is_joined(ctx):
            raise UnsupportedOperation(f"{ctx.det.live} is part of a joined-table inheritance hierarchy: a "
                                       "set-based restore writes one table, not whole objects",
                                       hint="chrono restore TABLE --at T restores its objects one by one")

    def check_revert(self, ctx: WriteContext) -> None:
        """A revert (and a restore of joined objects) writes each object whole, a part per table (``OBJECTS``); under
        native versioning too: the triggers skip an UPDATE that changes no value (``hstore(NEW) - hstore(OLD)``), so
        a part's rows written over with their own values get no version row, as the row-by-row write, which leaves
        them alone, gives none."""
        return None

    def _guard(self, ctx: WriteContext, stage: Table) -> None:
        """``check``, but for a revert's stage, whose write writes joined objects whole (``check_revert``)."""
        if OBJECTS not in stage.info:
            self.check(ctx)

    def _versions(self, ctx: WriteContext, stage: Table, columns: Sequence[str], x: Any) -> list[Step]:
        o = ctx.det.opts(ContinuumOptions)
        live, info = ctx.live, ctx.store_info
        steps = self._close(ctx, stage, x)
        mods = o.mod_columns
        flags = {f: c for c, f in mods.items()}
        internal = {o.transaction_column, o.operation_type_column, o.end_transaction_column}
        names: list[str] = []
        exprs: list[Any] = []
        absent = stage.c[ABSENT]
        for c in info.columns:
            if c in internal:
                continue
            names.append(c)
            if c in flags:
                source = flags[c]
                exprs.append(case((absent, true()), else_=stage.c[source].is_distinct_from(live.c[source]))
                             if source in columns else absent)
            elif c in ctx.det.key:
                exprs.append(stage.c[c])
            else:
                exprs.append(stage.c[c] if c in columns else live.c[c] if c in live.c else literal(None))
        names += [o.transaction_column, o.operation_type_column]
        exprs += [x, case((absent, 0), else_=1)]
        query = select(*exprs).select_from(stage.outerjoin(live, joined(ctx, stage, live)))
        steps.append(Step(insert(info.insert_table()).from_select(names, query),
                          "version rows: the restored states, operation_type 1 (0 for a re-insert), one INSERT"))
        return steps + self._changes(ctx, x, stage)
