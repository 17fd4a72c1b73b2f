"""``show --at`` pushed down to the periods extension: its generated ``<t>__as_of(timestamptz)`` function answers
which state was valid at a time, so only that state, the one it replaced and one count are read.

The function returns rows of ``<t>_with_history`` (the base row and the history rows) whose
``[start, end)`` holds the time. The state's position in the full timeline is the number of the key's closed
periods that started before it, plus the deletions among them (a period whose end is no period's start).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, column, func, select
from sqlalchemy.sql.elements import quoted_name
from sqlalchemy.sql.functions import Function

from chrono_cli.conventions.base import Detection, ReadContext
from chrono_cli.conventions.rows import fetch_live
from chrono_cli.conventions.shapes import period
from chrono_cli.conventions.shapes.common import declared, key_filter
from chrono_cli.db.facts import SystemPeriod
from chrono_cli.model import RowKey, Version
from chrono_cli.records import replace


def function_name(signature: str) -> tuple[str | None, str]:
    """``periods.system_versioning.func_as_of`` (a regprocedure as text, ``public."T__as_of"(timestamp with time
    zone)``) as (schema, name)."""
    parts: list[str] = []
    word, quoted, i = "", False, 0
    while i < len(signature):
        ch = signature[i]
        if quoted:
            if ch == '"' and signature[i + 1 : i + 2] == '"':
                word += '"'
                i += 1
            elif ch == '"':
                quoted = False
            else:
                word += ch
        elif ch == '"':
            quoted = True
        elif ch == ".":
            parts.append(word)
            word = ""
        elif ch == "(":
            break
        else:
            word += ch
        i += 1
    parts.append(word)
    return (parts[-2] if len(parts) > 1 else None), parts[-1]


def _as_of(p: SystemPeriod, at: datetime, columns: list[Any]) -> Any:
    """``schema.t__as_of(:at)`` as a FROM element with ``columns``."""
    assert p.as_of is not None
    schema, name = function_name(p.as_of)
    packages = (quoted_name(schema, True),) if schema else ()
    return Function(quoted_name(name, True), at, packagenames=packages).table_valued(*columns).alias("as_of")


def state_at(
    ctx: ReadContext, det: Detection, key: RowKey, at: datetime, p: SystemPeriod | None
) -> list[Version] | None:
    """The state valid at ``at`` as ``<t>__as_of`` answers (``p``: the table's system-time period), after the state
    it replaced; None when the key had no state then, or the catalog names no function (the whole timeline then
    says why)."""
    info = ctx.info(det.live)
    if p is None or p.as_of is None:
        return None
    dec = declared(det)
    store = ctx.info(det.store).table()
    start, end = p.start, p.end
    source = _as_of(p, at, [column(c, store.c[c].type) for c in store.columns.keys()])
    found = ctx.conn.execute(select(source).where(key_filter(source, dec.key, key))).mappings().first()
    if found is None:
        return None
    here = found[start]
    mine = key_filter(store, dec.key, key)
    current = period.bounds(dec, found, ctx.config.timezone)[1] is None
    previous = ctx.conn.execute(select(store).where(mine, store.c[end] == here)).mappings().first()
    # every period of the key (history and live) by its start, to tell a deletion (an end nobody starts at)
    live_t = info.table()
    starts = (
        select(store.c[start])
        .where(mine)
        .union_all(select(live_t.c[start]).where(key_filter(live_t, dec.key, key)))
        .subquery()
    )
    earlier = store.c[start] < here
    before, gaps = ctx.conn.execute(
        select(
            func.coalesce(func.sum(case((earlier, 1), else_=0)), 0),
            func.coalesce(func.sum(case((and_(earlier, store.c[end].not_in(select(starts.c[start]))), 1), else_=0)), 0),
        ).where(mine)
    ).one()
    rows = [r for r in (previous, None if current else found) if r is not None]
    live = fetch_live(ctx.conn, info.table(), key) if current else None
    first = int(before) + 1 - (previous is not None)
    states = period.states(ctx, det, rows, live, first=first, latest=current)  # no deletion between the two
    position = int(before) + int(gaps) + 1
    return [replace(v, seq=position - len(states) + i) for i, v in enumerate(states, 1)]
