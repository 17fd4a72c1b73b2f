"""versioned_rows_w_versionid (SQLAlchemy examples): a change is a new row with the next ``version_id``.

Write-set, as the example's ``new_version()`` does it: UPDATE every row of the key SET
``is_current_version = false``, then INSERT the new state with ``version_id = max + 1`` and
``is_current_version = true``. Older rows are never modified otherwise. An undelete is the same INSERT.
The table has no place for an actor or a reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import and_, func, insert, select, true, update

from chrono_cli.conventions.base import Detection
from chrono_cli.conventions.builtin.versioned_rows.adapter import VersionedRowsOptions
from chrono_cli.conventions.rows import key_where
from chrono_cli.conventions.writes.base import Step, WriteContext, Writer, WriteSet
from chrono_cli.model import FieldChange, RowKey, Timeline

VERSION = "version_id"


class VersionedRowsWriter(Writer):
    """Versions as rows of the live table."""


    def bookkeeping(self, det: Detection) -> frozenset[str]:
        return frozenset({det.version_col or VERSION, det.opts(VersionedRowsOptions).current_col} - {None})  # type: ignore[arg-type]

    def current_row(self, ctx: WriteContext, key: RowKey) -> dict[str, Any] | None:
        live, flag = ctx.live, ctx.det.opts(VersionedRowsOptions).current_col
        vcol = ctx.det.version_col or VERSION
        rows = ctx.conn.execute(select(live).where(key_where(live, key)).order_by(live.c[vcol].desc())).mappings()
        for row in rows:
            if flag is None or row[flag]:
                return dict(row)
        return None

    def history_count(self, ctx: WriteContext, key: RowKey) -> int:
        live = ctx.live
        return int(ctx.conn.execute(select(func.count()).select_from(live).where(key_where(live, key))).scalar_one())

    def update(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any], new: Mapping[str, Any],
               changes: Sequence[FieldChange], timeline: Timeline | None) -> WriteSet:
        return self._new_version(ctx, key, new)

    def insert(self, ctx: WriteContext, key: RowKey, new: Mapping[str, Any], timeline: Timeline) -> WriteSet:
        out = self._new_version(ctx, key, new)
        out.notes.append("the deleted current version stays deleted; the re-created row is a new version")
        return out

    def deletion_notes(self, det: Detection) -> list[str]:
        if det.opts(VersionedRowsOptions).current_col:
            return []
        return [f"{det.live} has no is_current_version column: deletions leave no trace"]

    def deleted_keys(self, ctx: WriteContext, limit: int | None = None) -> list[RowKey]:
        flag = ctx.det.opts(VersionedRowsOptions).current_col
        if flag is None:
            return []  # without is_current_version a deletion leaves no trace
        live, names = ctx.live, ctx.det.key
        other = live.alias("current_rows")
        exists = select(other.c[names[0]]).where(and_(*(other.c[c] == live.c[c] for c in names)),
                                                 other.c[flag] == true()).exists()
        cols = [live.c[c] for c in names]
        query = select(*cols).where(~exists).distinct().order_by(*cols)
        if limit is not None:
            query = query.limit(limit)
        return [RowKey(tuple(zip(names, row, strict=True))) for row in ctx.conn.execute(query)]

    def _new_version(self, ctx: WriteContext, key: RowKey, new: Mapping[str, Any]) -> WriteSet:
        live, flag = ctx.live, ctx.det.opts(VersionedRowsOptions).current_col
        vcol = ctx.det.version_col or VERSION
        top = ctx.conn.execute(select(func.max(live.c[vcol])).where(key_where(live, key))).scalar()
        number = (top if top is not None else 0) + 1
        out = WriteSet()
        row = {**new, vcol: number}
        if flag is not None:
            out.steps.append(Step(update(live).where(key_where(live, key)).values({flag: False}),
                                  f"every version of the key: {flag} = false"))
            row[flag] = True
        out.steps.append(Step(insert(ctx.live_info.insert_table()).values(row), f"new row, {vcol} {number}"))
        return out
