"""Write-sets for stores whose rows hold the state *before* a change (history_meta, Chrononaut 0.2).

An update writes the pre-change state into the store under the row's current version, stamps it with the time it
ended, and bumps the live row's version. A delete writes the last state the same way (no delete marker: the missing
live row is what says "deleted") and deletes the live row. An undelete re-inserts the live row with the next free
version (max of the store + 1), so the library's next update finds no primary-key collision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.rows import key_where
from chrono_cli.conventions.writes.base import Step, WriteContext, Writer, WriteSet
from chrono_cli.conventions.writes.values import stamp
from chrono_cli.errors import Refused
from chrono_cli.model import FieldChange, RowKey, Timeline


class OldStateWriter(Writer):
    """Shared by history_meta and Chrononaut layout A; subclasses add their metadata columns."""

    meta_columns: ClassVar[frozenset[str]] = frozenset({"version", "changed"})
    hidden_makes_version: ClassVar[bool] = False  # a change of a hidden column alone still writes history

    def extra_values(self, ctx: WriteContext, hidden_changed: Sequence[str]) -> dict[str, Any]:
        """Values for the store's metadata columns other than version and time."""
        return {}

    def data_columns(self, ctx: WriteContext) -> list[str]:
        vcol = ctx.det.version_col or "version"
        return [c for c in ctx.store_info.columns if c not in self.meta_columns and c != vcol]

    def update(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any], new: Mapping[str, Any],
               changes: Sequence[FieldChange], timeline: Timeline | None) -> WriteSet:
        vcol = ctx.det.version_col or "version"
        data = self.data_columns(ctx)
        tracked = [c.column for c in changes if c.column in data]
        hidden = [c.column for c in changes if c.column in ctx.config.hidden]
        values = {c.column: new[c.column] for c in changes}
        out = WriteSet()
        if not tracked and not (hidden and self.hidden_makes_version):
            names = ", ".join(c.column for c in changes)
            out.notes.append(f"{names} not recorded by {ctx.det.store}: the library writes no history row "
                             "for such a change, and neither does chrono")
            out.steps.append(Step(update(ctx.live).where(key_where(ctx.live, key)).values(values),
                                  "live row", expect=1))
            return out
        old = current.get(vcol)
        number = old if old is not None else 0
        out.steps.append(Step(insert(ctx.store_info.insert_table()).values(self._history_row(ctx, current, number,
                                                                                            hidden)),
                              f"history row: the state before this change, version {number}"))
        guard = ctx.live.c[vcol].is_(None) if old is None else ctx.live.c[vcol] == old
        values[vcol] = number + 1
        out.steps.append(Step(update(ctx.live).where(and_(key_where(ctx.live, key), guard)).values(values),
                              f"live row, version {number} -> {number + 1}", expect=1))
        return out

    def insert(self, ctx: WriteContext, key: RowKey, new: Mapping[str, Any], timeline: Timeline) -> WriteSet:
        vcol = ctx.det.version_col or "version"
        top = ctx.conn.execute(select(func.max(ctx.store.c[vcol])).where(key_where(ctx.store, key))).scalar()
        number = (top if top is not None else 0) + 1
        row = {**new, vcol: number}
        out = WriteSet([Step(insert(ctx.live_info.insert_table()).values(row),
                             f"live row re-created with version {number} (after the newest history row)")])
        out.notes.append("an insert writes no history row (as the library does), and the store marks no deletion: "
                         "once the row is back, its history reads the deletion as an update from the last "
                         "recorded state")
        return out

    def delete(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any],
               timeline: Timeline | None) -> WriteSet:
        vcol = ctx.det.version_col or "version"
        old = current.get(vcol)
        number = old if old is not None else 0
        guard = ctx.live.c[vcol].is_(None) if old is None else ctx.live.c[vcol] == old
        return WriteSet([
            Step(insert(ctx.store_info.insert_table()).values(self._history_row(ctx, current, number, [])),
                 f"history row: the last state, version {number} (the deletion ends it)"),
            Step(delete(ctx.live).where(and_(key_where(ctx.live, key), guard)), "live row deleted", expect=1)])

    def deleted_keys(self, ctx: WriteContext, limit: int | None = None) -> list[RowKey]:
        return missing_keys(ctx, None, limit)

    def _history_row(self, ctx: WriteContext, current: Mapping[str, Any], number: int,
                     hidden: Sequence[str]) -> dict[str, Any]:
        info = ctx.store_info
        vcol = ctx.det.version_col or "version"
        tcol = ctx.det.time_col or "changed"
        row: dict[str, Any] = {}
        for c in self.data_columns(ctx):
            if c in current:
                row[c] = current[c]
            elif info.columns[c].nullable:
                row[c] = None
            else:
                raise Refused(f"{info.ref}.{c} is NOT NULL but {ctx.det.live} no longer has that column: "
                              "the library could not write this history row either")
        row[vcol] = number
        row[tcol] = stamp(ctx.now, info.columns[tcol].type, ctx.config.timezone)
        row.update(self.extra_values(ctx, hidden))
        return row


def missing_keys(ctx: WriteContext, where: ColumnElement[bool] | None, limit: int | None) -> list[RowKey]:
    """Distinct keys of store rows (matching ``where``) with no live row: deleted records."""
    store, live, names = ctx.store, ctx.live, ctx.det.key
    cols = [store.c[c] for c in names]
    exists = select(live.c[names[0]]).where(and_(*(live.c[c] == store.c[c] for c in names))).exists()
    query = select(*cols).where(~exists)
    if where is not None:
        query = query.where(where)
    query = query.distinct().order_by(*cols)
    if limit is not None:
        query = query.limit(limit)
    return [RowKey(tuple(zip(names, row, strict=True))) for row in ctx.conn.execute(query)]
