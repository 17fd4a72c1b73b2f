"""Drift rules for declared layouts: what check-migrations reports when a base table and its declared
history no longer match (pure: reflected tables in, findings out)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from chrono_cli.config import Shape, TableConfig
from chrono_cli.conventions.shapes.common import Declared
from chrono_cli.conventions.types import Fit, type_fit
from chrono_cli.db.reflect import TableInfo
from chrono_cli.db.triggers import TriggerInfo
from chrono_cli.model import Severity
from chrono_cli.records import Struct


class ShapeDrift(Struct, frozen=True):
    """One finding: its kind (a check-migrations kind), severity, message and column."""

    kind: str
    severity: Severity
    message: str
    column: str | None = None
    add_to_history: bool = False  # the fix adds the base column to the history table


TABLE_SHAPES = (Shape.OLD_STATE, Shape.NEW_STATE, Shape.PERIOD)
# the operations whose trigger writes a history row, per trigger-filled shape (UPDATE is the one that matters most)
WRITTEN_BY: dict[Shape, tuple[str, ...]] = {
    Shape.OLD_STATE: ("UPDATE", "DELETE"),
    Shape.PERIOD: ("UPDATE", "DELETE"),
    Shape.NEW_STATE: ("INSERT", "UPDATE", "DELETE"),
    Shape.JSON_SNAPSHOT: ("INSERT", "UPDATE", "DELETE"),
    Shape.JSON_DIFF: ("INSERT", "UPDATE", "DELETE"),
}


def trigger_drift(base: TableInfo, store: TableInfo, dec: Declared,
                  triggers: Sequence[TriggerInfo]) -> Iterator[ShapeDrift]:
    """A trigger-filled history whose base table lost (or disabled) the trigger for an operation."""
    events = {e for t in triggers if t.enabled for e in t.events}
    for event in WRITTEN_BY.get(dec.layout.shape, ()):
        if event in events:
            continue
        severity = Severity.ERROR if event == "UPDATE" else Severity.WARNING
        yield ShapeDrift("trigger", severity,
                         f"{base.ref.name} has no enabled {event} trigger: its {event.lower()}s are no longer recorded "
                         f"in {store.ref.name} (the declared {dec.layout.shape} history)")


def drift(base: TableInfo, store: TableInfo, dec: Declared, tcfg: TableConfig) -> Iterator[ShapeDrift]:
    """Findings for one declared (base, history) pair; stores that copy columns are compared column by column."""
    if dec.layout.shape not in TABLE_SHAPES:
        return  # JSON logs and in-table versions keep every column by construction
    recorded = {b: h for h, b in dec.data}
    declared_out = set(tcfg.unrecorded) | set(dec.layout.roles.values())  # roles: maintained, not copied
    for name in base.columns:
        if name in recorded or name in declared_out:
            continue
        yield ShapeDrift("missing-column", Severity.ERROR,
                         f"{base.ref.name}.{name} is not in {store.ref.name}: the declared {dec.layout.shape} history "
                         f"does not record it (add it to {store.ref.name} and to the trigger that fills it, or list "
                         f"it in {dec.section} unrecorded)", name, add_to_history=True)
    for h, b in dec.data:
        base_col, hist_col = base.columns.get(b), store.columns.get(h)
        if hist_col is None:
            continue
        if base_col is None:
            yield ShapeDrift("extra-column", Severity.INFO,
                             f"{store.ref.name}.{h} is no longer in {base.ref.name}: old versions keep it, new ones "
                             "leave it empty" if hist_col.nullable else
                             f"{store.ref.name}.{h} is NOT NULL and {base.ref.name} no longer has it: the trigger's "
                             "next history write fails unless it fills the column", h)
            continue
        fit, reason = type_fit(base_col.type, hist_col.type)
        if fit is Fit.NARROWER:
            yield ShapeDrift("type-narrowed", Severity.ERROR,
                             f"{store.ref.name}.{h} cannot hold every value of {base.ref.name}.{b}: {reason}", h)
        elif fit not in (Fit.SAME, Fit.WIDER):
            severity = {Fit.LOOSER: Severity.INFO, Fit.OTHER: Severity.ERROR}.get(fit, Severity.WARNING)
            yield ShapeDrift("type-mismatch", severity,
                             f"{store.ref.name}.{h} differs from {base.ref.name}.{b}: {reason}", h)
        if not hist_col.nullable and base_col.nullable and h not in store.pk and b not in base.pk:
            yield ShapeDrift("not-null", Severity.ERROR,
                             f"{store.ref.name}.{h} is NOT NULL but {base.ref.name}.{b} allows NULL: recording a "
                             f"state whose {b} is NULL fails", h)
