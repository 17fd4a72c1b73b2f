"""The in-table writer: a new version closes the current row and inserts the next (no trigger needed); its
reading is in_table.py (a read does not import the writers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.base import Detection
from chrono_cli.conventions.shapes.common import declared, key_filter
from chrono_cli.conventions.shapes.in_table import FAR, current_where
from chrono_cli.conventions.shapes.write import triggers_for
from chrono_cli.conventions.types import is_boolean
from chrono_cli.conventions.writes.base import Step, WriteContext, Writer, WriteSet
from chrono_cli.conventions.writes.values import stamp
from chrono_cli.model import FieldChange, RowKey, Timeline


class InTableWriter(Writer):
    """Close the current version row, insert the next one (no trigger needed)."""

    def bookkeeping(self, det: Detection) -> frozenset[str]:
        dec = declared(det)
        return frozenset(dec.layout.roles.values()) | set(dec.surrogate)

    def store_where(self, ctx: WriteContext, key: RowKey) -> ColumnElement[bool] | None:
        return None

    def current_row(self, ctx: WriteContext, key: RowKey) -> dict[str, Any] | None:
        dec = declared(ctx.det)
        live = ctx.live
        order = [live.c[c].desc() for c in dec.order]
        row = ctx.conn.execute(select(live).where(key_filter(live, dec.key, key), current_where(dec, live))
                               .order_by(*order).limit(1)).mappings().first()
        return None if row is None else {c: v for c, v in row.items() if c not in self._surrogate(ctx)}

    def history_count(self, ctx: WriteContext, key: RowKey) -> int:
        live = ctx.live
        where = key_filter(live, declared(ctx.det).key, key)
        return int(ctx.conn.execute(select(func.count()).select_from(live).where(where)).scalar_one())

    def update(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any], new: Mapping[str, Any],
               changes: Sequence[FieldChange], timeline: Timeline | None) -> WriteSet:
        out = WriteSet([self._close(ctx, key)])
        return self._next(ctx, key, new, out)

    def insert(self, ctx: WriteContext, key: RowKey, new: Mapping[str, Any], timeline: Timeline) -> WriteSet:
        out = self._next(ctx, key, new, WriteSet())
        out.notes.append("the deleted versions stay as they are; the re-created record starts a new version")
        return out

    def delete(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any],
               timeline: Timeline | None) -> WriteSet:
        return WriteSet([self._close(ctx, key)], ["a deletion closes the current version (no row is deleted)"])

    def deleted_keys(self, ctx: WriteContext, limit: int | None = None) -> list[RowKey]:
        dec = declared(ctx.det)
        live = ctx.live
        other = live.alias("current_rows")
        exists = select(other.c[dec.key[0]]).where(
            and_(*(other.c[c] == live.c[c] for c in dec.key)), current_where(dec, other)).exists()
        cols = [live.c[c] for c in dec.key]
        query = select(*cols).where(~exists).distinct().order_by(*cols)
        if limit is not None:
            query = query.limit(limit)
        return [RowKey(tuple(zip(ctx.det.key, row, strict=True))) for row in ctx.conn.execute(query)]

    def _surrogate(self, ctx: WriteContext) -> set[str]:
        return set(declared(ctx.det).surrogate)

    def _close(self, ctx: WriteContext, key: RowKey) -> Step:
        dec = declared(ctx.det)
        live = ctx.live
        values: dict[str, Any] = {}
        if dec.role("current"):
            col = live.c[dec.role("current") or ""]
            values[col.name] = False if is_boolean(col.type) else 0
        if dec.role("valid_to"):
            col = live.c[dec.role("valid_to") or ""]
            values[col.name] = stamp(ctx.now, col.type, ctx.config.timezone)
        return Step(update(live).where(key_filter(live, dec.key, key), current_where(dec, live)).values(values),
                    "current version closed", expect=1)

    def _next(self, ctx: WriteContext, key: RowKey, new: Mapping[str, Any], out: WriteSet) -> WriteSet:
        dec = declared(ctx.det)
        live = ctx.live
        row = {c: v for c, v in new.items() if c not in self._surrogate(ctx)}
        label = "next version"
        if dec.role("version"):
            vcol = dec.role("version") or ""
            top = ctx.conn.execute(select(func.max(live.c[vcol])).where(key_filter(live, dec.key, key))).scalar()
            row[vcol] = (top if top is not None else 0) + 1
            label = f"next version, {vcol} {row[vcol]}"
        if dec.role("valid_from"):
            col = live.c[dec.role("valid_from") or ""]
            row[col.name] = stamp(ctx.now, col.type, ctx.config.timezone)
        if dec.role("valid_to"):
            info = ctx.live_info.columns[dec.role("valid_to") or ""]
            row[info.name] = None if info.nullable else FAR
        if dec.role("current"):
            col = live.c[dec.role("current") or ""]
            row[col.name] = True if is_boolean(col.type) else 1
        out.steps.append(Step(insert(ctx.live_info.insert_table()).values(row), label))
        fired = {t.name for event in ("INSERT", "UPDATE") for t in triggers_for(ctx, event)}
        out.notes.append("versions are kept in the table: chrono closes the current version and inserts the next, "
                         "as the in-table layout declares" + (f"; triggers on the table fire too: "
                                                              f"{', '.join(sorted(fired))}" if fired else ""))
        return out


