"""Adapters for declared layouts: one per shape, reading through that shape's engine."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy.engine import Connection

from chrono_cli.conventions.base import ConventionAdapter, Detection, EventQuery, ReadContext
from chrono_cli.conventions.rows import count
from chrono_cli.conventions.shapes import events as shape_events
from chrono_cli.conventions.shapes import in_table, json_diff, json_snapshot, new_state, old_state, period
from chrono_cli.db.reflect import SchemaSnapshot
from chrono_cli.model import RowChange, RowKey, Version

Reader = Callable[[ReadContext, Detection, RowKey], list[Version]]
Streamer = Callable[[ReadContext, Detection, RowKey], Iterator[Version]]


class DeclaredAdapter(ConventionAdapter):
    """A layout declared in chrono.toml, read by one shape engine."""

    reader: Reader
    streamer: Streamer | None = None  # the engine's lazy reader, where it has one

    def detect(self, snapshot: SchemaSnapshot) -> list[Detection]:
        return []  # declared layouts come from config: chrono_cli.conventions.declared.detect

    def versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        return type(self).reader(ctx, det, key)

    def iter_versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> Iterator[Version]:
        streamer = type(self).streamer
        return streamer(ctx, det, key) if streamer is not None else iter(self.versions(ctx, det, key))

    def events(self, ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
        return shape_events.declared_events(ctx, det, query, type(self).reader)

    def store_filter(self, snapshot: SchemaSnapshot, det: Detection) -> Any:
        from chrono_cli.conventions.shapes.common import declared

        dec = declared(det)
        column = dec.role("table")
        if column is None:
            return None
        store = snapshot.tables[det.store].table()
        return store.c[column] == (dec.layout.table_value or det.live.name)

    def count_history(self, conn: Connection, snapshot: SchemaSnapshot, det: Detection) -> int | None:
        return count(conn, snapshot.tables[det.store].table(), self.store_filter(snapshot, det))


class OldStateAdapter(DeclaredAdapter):
    """Declared old-state history: rows hold the state before each change."""

    name = "old-state"
    title = "declared old-state history table"
    reader = staticmethod(old_state.read)
    streamer = staticmethod(old_state.stream)


class NewStateAdapter(DeclaredAdapter):
    """Declared new-state history: rows hold the state after each change."""

    name = "new-state"
    title = "declared new-state history table"
    reader = staticmethod(new_state.read)
    streamer = staticmethod(new_state.stream)


class JsonSnapshotAdapter(DeclaredAdapter):
    """Declared JSON-snapshot log: rows hold the whole row as JSON (after or before each change)."""

    name = "json-snapshot"
    title = "declared JSON snapshot log"
    reader = staticmethod(json_snapshot.read)


class JsonDiffAdapter(DeclaredAdapter):
    """Declared JSON-diff log: rows hold the old and new values of each change."""

    name = "json-diff"
    title = "declared JSON diff log"
    reader = staticmethod(json_diff.read)


class InTableAdapter(DeclaredAdapter):
    """Declared in-table versions: every version is a row of the table itself."""

    name = "in-table"
    title = "declared in-table versions"
    reader = staticmethod(in_table.read)

    def versions_page(self, ctx: ReadContext, det: Detection, key: RowKey, before: int | None,
                      size: int) -> list[Version] | None:
        return in_table.page(ctx, det, key, before, size)

    def count_history(self, conn: Connection, snapshot: SchemaSnapshot, det: Detection) -> int | None:
        return count(conn, snapshot.tables[det.live].table())


class PeriodAdapter(DeclaredAdapter):
    """Declared period history: replaced rows with the period each was valid."""

    name = "period"
    title = "declared period history table"
    reader = staticmethod(period.read)

    def versions_page(self, ctx: ReadContext, det: Detection, key: RowKey, before: int | None,
                      size: int) -> list[Version] | None:
        return period.page(ctx, det, key, before, size)


ADAPTERS: dict[str, DeclaredAdapter] = {a.name: a for a in (
    OldStateAdapter(), NewStateAdapter(), JsonSnapshotAdapter(), JsonDiffAdapter(), InTableAdapter(),
    PeriodAdapter())}
