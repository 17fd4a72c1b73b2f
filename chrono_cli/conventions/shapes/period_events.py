"""Which changes a PostgreSQL period store holds in a window, read set-based (``EventQuery.light``).

The full listing (``events.declared_events``) reads the timeline of every key with a period bound in the window:
two queries a key, each a scan of a history table the extensions leave unindexed, so 10,000 keys took half a
minute before a revert could even start. What a change set is made of needs less: each change's key and time. A
change at T starts a period at T (an insert or an update) or ends one at T that no period of the key starts at
(a deletion; the periods the store writes do not overlap, so its successor, if any, starts later). Every period
starting or ending in the window is read in one query (and the live rows starting in it in one more), and the
timelines are answered from those: only the changes in the window, with no values (so no field changes) and the
operation as the neighbouring periods say.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, func, or_, select

from chrono_cli.conventions.base import Detection, EventQuery, ReadContext
from chrono_cli.conventions.rows import as_utc
from chrono_cli.conventions.shapes.common import declared
from chrono_cli.conventions.shapes.window import window
from chrono_cli.model import Op, RowKey, Version


def light_reader(query: EventQuery) -> LightTimelines | None:
    """The reader of a light listing (``EventQuery.light``, no pickaxe); None: read each timeline whole."""
    return LightTimelines(query) if query.light and query.match is None else None


class LightTimelines:
    """A ``events.Reader`` of the changes in ``query``'s window, every key's read at the first call."""

    def __init__(self, query: EventQuery) -> None:
        self.query = query
        self.found: dict[tuple[Any, ...], list[Version]] | None = None

    def __call__(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        if self.found is None:
            self.found = self._read(ctx, det)
        return self.found.get(tuple(v for _, v in key.items), [])

    def _read(self, ctx: ReadContext, det: Detection) -> dict[tuple[Any, ...], list[Version]]:
        dec, tz, dialect = declared(det), ctx.config.timezone, ctx.conn.dialect.name
        store, live = ctx.info(det.store).table(), ctx.info(det.live).table()
        start, end = bound_columns(dec, store)
        keys = [store.c[c] for c in dec.key]
        starts: dict[tuple[Any, ...], set[datetime]] = {}
        ends: dict[tuple[Any, ...], set[datetime]] = {}
        rows = ctx.conn.execute(select(*keys, start, end).where(or_(window(start, self.query, tz, dialect),
                                                                    window(end, self.query, tz, dialect))))
        for *key, s, e in rows:
            starts.setdefault(tuple(key), set()).add(as_utc(s, tz))  # type: ignore[arg-type]
            ends.setdefault(tuple(key), set()).add(as_utc(e, tz))  # type: ignore[arg-type]
        lstart, _ = bound_columns(dec, live)
        for *key, s in ctx.conn.execute(select(*(live.c[c] for c in det.key), lstart)
                                        .where(window(lstart, self.query, tz, dialect))):
            starts.setdefault(tuple(key), set()).add(as_utc(s, tz))  # type: ignore[arg-type]
        return light_versions(starts, ends)


def light_versions(starts: dict[tuple[Any, ...], set[datetime]], ends: dict[tuple[Any, ...], set[datetime]],
                   ) -> dict[tuple[Any, ...], list[Version]]:
    """Each key's changes, oldest first, from the times its periods start (``starts``: every period starting in the
    window, and those a period ending in it is followed by) and end (closed periods): a start is an update where a
    period ends then, else an insert; an end no period starts at is a deletion. No values (no field changes)."""
    out: dict[tuple[Any, ...], list[Version]] = {}
    for k in dict.fromkeys([*starts, *ends]):  # in the order the keys were read
        began, closed = starts.get(k, set()), ends.get(k, set())
        changes = [(t, Op.UPDATE if t in closed else Op.INSERT) for t in began]
        changes += [(t, Op.DELETE) for t in closed - began]
        out[k] = [Version(values=None if op is Op.DELETE else {}, op=op, valid_from=t)
                  for t, op in sorted(changes, key=lambda c: c[0])]
    return out


def bound_columns(dec: Any, table: Any) -> tuple[Any, Any]:
    """A period table's start and end as the server compares them: a range's bounds (as timestamptz), or the two
    columns."""
    if dec.role("period"):
        column = table.c[dec.role("period")]
        return func.lower(column, type_=DateTime(timezone=True)), func.upper(column, type_=DateTime(timezone=True))
    return table.c[dec.role("valid_from")], table.c[dec.role("valid_to")]
