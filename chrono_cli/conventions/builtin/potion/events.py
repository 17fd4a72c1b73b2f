"""Flask-Potion's change listing: each history_record is one PATCH with its own old and new values."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select

from chrono_cli.conventions.base import Detection, EventQuery, ReadContext
from chrono_cli.conventions.rows import as_utc
from chrono_cli.conventions.shapes.window import window
from chrono_cli.model import FieldChange, Op, RowChange, RowKey


def potion_events(ctx: ReadContext, det: Detection, query: EventQuery,
                  decode: Callable[[Mapping[Any, Any]], tuple[dict[str, tuple[Any, Any]], list[str]]],
                  ) -> list[RowChange]:
    """Flask-Potion: each history_record is one PATCH with its own old/new values."""
    if query.group is not None:
        return []
    store = ctx.info(det.store).table()
    tz = ctx.config.timezone
    rows = ctx.conn.execute(
        select(store).where(store.c.object_type == det.live.name,
                            window(store.c.updated_at, query, tz, ctx.conn.dialect.name))
        .order_by(store.c.updated_at.desc(), store.c.id.desc()).limit(query.limit)).mappings().all()
    out: list[RowChange] = []
    for r in rows:
        changes, unknown = decode(r)
        note = f"attributes with no matching column: {', '.join(unknown)}" if unknown else None
        out.append(RowChange(det.live, RowKey(((det.key[0], r["object_id"]),)), Op.UPDATE,
                             as_utc(r["updated_at"], tz),
                             changes=tuple(FieldChange(c, o, n) for c, (o, n) in changes.items()), note=note))
    return out
