"""Archive columns alone (no history store): a plain UPDATE of the flag or timestamp, guarded by its old value.

Archive sets a boolean to true or a timestamp to now (UTC where the column has a time zone, else the
configured zone's wall clock, UTC by default); unarchive sets false / NULL. ``WHERE key AND column IS
[NOT] NULL`` (or ``= old flag``) keeps the write idempotent. Nothing records who or why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, select, update
from sqlalchemy import types as sqltypes
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.base import ArchiveOptions, Detection
from chrono_cli.conventions.rows import key_where
from chrono_cli.conventions.writes.base import ArchiveWriter, Step, WriteContext, WriteSet
from chrono_cli.conventions.writes.values import stamp
from chrono_cli.model import FieldChange, RowKey, Timeline


def archive_value(det: Detection, coltype: sqltypes.TypeEngine[Any], archived: bool, ctx: WriteContext) -> Any:
    """What the convention stores for archived / not archived."""
    if det.opts(ArchiveOptions).kind == "boolean":
        return archived
    return stamp(ctx.now, coltype, ctx.config.timezone) if archived else None


def is_archived(det: Detection, row: Mapping[str, Any]) -> bool:
    """Whether the row's archive column says archived (NULL flags count as not archived)."""
    value = row.get(det.opts(ArchiveOptions).column)
    return value is not None and value is not False and value != 0


def guard(table: Table, column: str, old: Any) -> ColumnElement[bool]:
    """``column IS NULL`` or ``column = old``: the write only happens if nobody changed the flag."""
    return table.c[column].is_(None) if old is None else table.c[column] == old


class SoftDeleteWriter(ArchiveWriter):
    """A table whose only convention is an archive column."""

    def column(self, det: Detection) -> str:
        return det.opts(ArchiveOptions).column

    def is_archived(self, det: Detection, row: Mapping[str, Any]) -> bool:
        return is_archived(det, row)

    def archived_at(self, det: Detection, row: Mapping[str, Any]) -> datetime | None:
        value = row.get(self.column(det)) if det.opts(ArchiveOptions).kind == "timestamp" else None
        return value if isinstance(value, datetime) else None

    def archive_value(self, ctx: WriteContext, det: Detection, archived: bool) -> Any:
        return archive_value(det, ctx.live_info.columns[self.column(det)].type, archived, ctx)

    def bookkeeping(self, det: Detection) -> frozenset[str]:
        return frozenset()

    def update(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any], new: Mapping[str, Any],
               changes: Sequence[FieldChange], timeline: Timeline | None) -> WriteSet:
        values = {c.column: new[c.column] for c in changes}
        column = ctx.det.opts(ArchiveOptions).column
        where = key_where(ctx.live, key)
        if column in values:
            where = and_(where, guard(ctx.live, column, current.get(column)))
        out = WriteSet([Step(update(ctx.live).where(where).values(values), "live row", expect=1)])
        out.notes.append(f"{ctx.det.live} has no history store: this change is recorded nowhere")
        return out

    def archived_rows(self, ctx: WriteContext, limit: int | None = None) -> list[dict[str, Any]]:
        """Rows whose archive column is set, in key order."""
        live, o = ctx.live, ctx.det.opts(ArchiveOptions)
        cond = live.c[o.column].is_not(None) if o.kind == "timestamp" else live.c[o.column].is_(True)
        query = select(live).where(cond).order_by(*(live.c[c] for c in ctx.det.key))
        if limit is not None:
            query = query.limit(limit)
        return [dict(r) for r in ctx.conn.execute(query).mappings()]
