"""The PostgreSQL ``periods`` extension (conventions.md 6D): detection from its catalogs, reading.

``periods.system_versioning`` names each versioned table's history table, view and functions; its
system-time period names the start/end columns and the excluded columns (the ``periods`` catalog fact). Every
row of ``<t>_with_history`` is one state valid in [start, end): the closed ones are in ``<t>_history``, the
current one is the base row. A gap between one state's end and the next one's start is a deletion. Excluded
columns are copied into history rows with their value at close time: never shown as history.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from chrono_cli.config import Layout, Shape
from chrono_cli.conventions.base import ConventionAdapter, Degradation, Detection, EventQuery, ReadContext
from chrono_cli.conventions.builtin.periods import asof
from chrono_cli.conventions.drift import column_drift
from chrono_cli.conventions.shapes import period
from chrono_cli.conventions.shapes.common import Declared
from chrono_cli.conventions.shapes.events import declared_events
from chrono_cli.conventions.shapes.period_events import light_reader
from chrono_cli.conventions.shapes.period_write import enabled
from chrono_cli.db.facts import PERIODS, SystemPeriod
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.model import RowChange, RowKey, TableRef, Version


def system_versioned(info: TableInfo) -> SystemPeriod | None:
    """The table's system-time period when system versioning was added to it."""
    return next((p for p in info.facts.get(PERIODS, ()) if p.name == "system_time" and p.history is not None), None)


def _table(snapshot: SchemaSnapshot, base: TableInfo, ref: TableRef) -> TableInfo | None:
    found = snapshot.get(ref)
    if found is None and ref.schema in (base.ref.schema, snapshot.default_schema, None):
        found = snapshot.sibling(base.ref, ref.name)
    return found


def evidence(base: TableInfo, store: TableInfo, p: SystemPeriod) -> list[str]:
    """What ``tables --explain`` shows."""
    lines = [f"periods.system_versioning: {base.ref.name} -> history {store.ref.name}"
             + (f", view {p.view.name}" if p.view else ""),
             f"system_time period: start {p.start}, end {p.end}"]
    if p.as_of:
        lines.append(f"as-of function {p.as_of}")
    if p.excluded:
        lines.append(f"excluded columns (not versioned, shown as not recorded): {', '.join(p.excluded)}")
    for name in (p.generated_always_trigger, p.write_history_trigger):
        lines.append(f"trigger {name} " + ("enabled" if enabled(base, name) else "MISSING OR DISABLED"))
    return lines


class PeriodsAdapter(ConventionAdapter):
    """The periods extension: system-versioned tables and their ``<t>_history`` tables."""

    name = "periods"
    title = "PostgreSQL periods extension (system versioning)"
    paired_suffixes = ("_history",)

    def detect(self, snapshot: SchemaSnapshot) -> Iterator[Detection]:
        for base in snapshot:
            p = system_versioned(base)
            store = _table(snapshot, base, p.history) if p is not None and p.history is not None else None
            if p is None or store is None or not base.pk:
                continue
            roles = {"valid_from": p.start, "valid_to": p.end}
            dec = Declared(Layout(Shape.PERIOD, roles), f"[tables.{base.ref.name}]", base.pk,
                           tuple((c, c) for c in store.columns if c not in roles.values()))
            degraded = column_drift(base, store, [c for c in store.columns if c not in roles.values()])
            if enabled(base, p.write_history_trigger) is None:
                degraded.append(Degradation(f"trigger {p.write_history_trigger} is missing or disabled: changes "
                                            f"to {base.ref.name} are not archived"))
            yield Detection(self.name, base.ref, store.ref, base.pk, time_col=p.start, score=100,
                            evidence=tuple(evidence(base, store, p)), degraded=tuple(degraded),
                            options=period.PeriodOptions(dec, unversioned=p.excluded))

    def versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        return period.read(ctx, det, key)

    def versions_page(self, ctx: ReadContext, det: Detection, key: RowKey, before: int | None,
                      size: int) -> list[Version] | None:
        return period.page(ctx, det, key, before, size)

    def state_at(self, ctx: ReadContext, det: Detection, key: RowKey, at: datetime) -> list[Version] | None:
        return asof.state_at(ctx, det, key, at, system_versioned(ctx.info(det.live)))

    def events(self, ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
        return declared_events(ctx, det, query, light_reader(query) or period.read)
