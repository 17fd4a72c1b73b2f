"""temporal_tables (conventions.md 6A/6B): a ``tstzrange`` period column kept by a ``versioning()`` trigger.

``CREATE TRIGGER ... BEFORE INSERT OR UPDATE OR DELETE ... EXECUTE PROCEDURE versioning('sys_period',
'<t>_history', true)``: the trigger's arguments name the period column and the history table (any name, maybe
schema-qualified); the C extension and nearform's pure-SQL function share them. An UPDATE or DELETE copies the
OLD row into history (the columns both tables have) with its period closed at the transaction's time; the base
row's period opens then. Base columns missing from history are silently not archived (shown as not recorded).
Without the trigger (dropped or never visible), ``<t>`` and ``<t>_history`` sharing one tstzrange column are still
read, as a near miss: chrono will not write, check-migrations reports the trigger.
"""

from __future__ import annotations

from collections.abc import Iterator

from chrono_cli.config import Layout, Shape
from chrono_cli.conventions.base import ConventionAdapter, Degradation, Detection, EventQuery, ReadContext
from chrono_cli.conventions.drift import column_drift
from chrono_cli.conventions.shapes import period
from chrono_cli.conventions.shapes.common import Declared
from chrono_cli.conventions.shapes.events import declared_events
from chrono_cli.conventions.shapes.period_events import light_reader
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.db.triggers import TriggerInfo
from chrono_cli.model import RowChange, RowKey, TableRef, Version

FUNCTION = "versioning"


class TemporalOptions(period.PeriodOptions, frozen=True):
    """The versioning trigger's name and arguments (None: found by shape, no trigger)."""

    trigger: str | None = None
    args: tuple[str, ...] = ()


def is_range(info: TableInfo, column: str) -> bool:
    """Whether ``column`` of ``info`` is a tstzrange."""
    c = info.columns.get(column)
    return c is not None and type(c.type).__name__.upper() == "TSTZRANGE"


def versioning_triggers(info: TableInfo) -> list[TriggerInfo]:
    """Row triggers of ``info`` that run a ``versioning`` function with a period column and a history table."""
    return [t for t in info.triggers if t.function == FUNCTION and t.for_each_row and len(t.args) >= 2]


def history_ref(base: TableInfo, name: str) -> TableRef:
    """The history table a trigger argument names (unqualified: the base table's schema)."""
    schema, _, table = name.strip().strip('"').rpartition(".")
    return TableRef(schema.strip('"') or base.ref.schema, table.strip('"'))


def _flag(args: tuple[str, ...], i: int) -> bool:
    return len(args) > i and args[i].strip().lower() in ("true", "t", "1", "on", "yes")


class TemporalTablesAdapter(ConventionAdapter):
    """temporal_tables: ``sys_period`` on the base, closed periods in the trigger's history table."""

    name = "temporal-tables"
    title = "temporal_tables versioning() trigger"
    paired_suffixes = ("_history",)

    def detect(self, snapshot: SchemaSnapshot) -> Iterator[Detection]:
        for base in snapshot:
            if not base.pk:
                continue
            found = self._by_trigger(snapshot, base) or self._by_shape(snapshot, base)
            if found is not None:
                yield found

    def _by_trigger(self, snapshot: SchemaSnapshot, base: TableInfo) -> Detection | None:
        for trigger in versioning_triggers(base):
            column, ref = trigger.args[0], history_ref(base, trigger.args[1])
            store = snapshot.get(ref) or snapshot.sibling(base.ref, ref.name)
            if store is None or not is_range(base, column):
                continue
            lines = [f"trigger {trigger.name}: {trigger.timing} {'/'.join(trigger.events)} FOR EACH ROW "
                     f"{trigger.function_schema + '.' if trigger.function_schema else ''}{FUNCTION}"
                     f"({', '.join(repr(a) for a in trigger.args)})",
                     f"{base.ref.name}.{column} tstzrange; history {store.ref.name}"]
            degraded: list[Degradation] = []
            if not trigger.enabled:
                degraded.append(Degradation(f"trigger {trigger.name} is disabled: changes are not archived"))
            if _flag(trigger.args, 4):
                degraded.append(Degradation("include_current_version_in_history: the history holds the current "
                                            "version too, which chrono does not read yet"))
            return self._detection(base, store, column, lines, degraded, trigger)
        return None

    def _by_shape(self, snapshot: SchemaSnapshot, base: TableInfo) -> Detection | None:
        store = snapshot.sibling(base.ref, base.ref.name + "_history")
        if store is None or versioning_triggers(base):
            return None
        shared = [c for c in base.columns if is_range(base, c) and is_range(store, c)]
        if len(shared) != 1:
            return None
        lines = [f"{base.ref.name}.{shared[0]} and {store.ref.name}.{shared[0]} tstzrange (shape only)"]
        why = Degradation(f"no versioning trigger on {base.ref.name}: its changes are not archived")
        return self._detection(base, store, shared[0], lines, [why], None, score=10)

    def _detection(self, base: TableInfo, store: TableInfo, column: str, lines: list[str],
                   degraded: list[Degradation], trigger: TriggerInfo | None, score: int = 100) -> Detection:
        data = tuple((c, c) for c in store.columns if c != column and c in base.columns)
        dec = Declared(Layout(Shape.PERIOD, {"period": column}), f"[tables.{base.ref.name}]", base.pk, data)
        if column not in store.columns:
            degraded.append(Degradation(f"{store.ref.name} has no {column} column: every UPDATE and DELETE fails"))
        drift = column_drift(base, store, [c for c, _ in data], skip={column}, report_missing=False)
        unarchived = [c for c in base.columns if c not in store.columns and c != column]
        if unarchived:
            lines.append(f"not in {store.ref.name} (not archived, shown as not recorded): {', '.join(unarchived)}")
        return Detection(self.name, base.ref, store.ref, base.pk, score=score, evidence=tuple(lines),
                         degraded=tuple(degraded + drift),
                         options=TemporalOptions(dec, trigger=trigger.name if trigger else None,
                                                 args=trigger.args if trigger else ()))

    def versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        return period.read(ctx, det, key)

    def versions_page(self, ctx: ReadContext, det: Detection, key: RowKey, before: int | None,
                      size: int) -> list[Version] | None:
        return period.page(ctx, det, key, before, size)

    def events(self, ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
        return declared_events(ctx, det, query, light_reader(query) or period.read)
