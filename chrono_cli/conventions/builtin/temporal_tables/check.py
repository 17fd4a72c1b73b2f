"""check-migrations for temporal_tables (conventions.md 6A/6B, 9.1): history columns against the base, and the
versioning trigger. History-only columns are legitimate (filled by defaults); a base column the history lacks
is silently not archived (a warning: it may be deliberate, say so with ``unrecorded``)."""

from __future__ import annotations

from collections.abc import Iterator

from chrono_cli.conventions.builtin.temporal_tables.adapter import TemporalOptions
from chrono_cli.conventions.checkrules import type_drifts
from chrono_cli.conventions.checkspec import CheckContext, CheckSpec, Drift, StoreKind, Subject
from chrono_cli.conventions.remedy import AddColumn, CreateTrigger, EnableTrigger
from chrono_cli.conventions.shapes.period_check import paired_versioned, period_columns
from chrono_cli.model import Severity


def _options(subject: Subject) -> TemporalOptions | None:
    return subject.options if isinstance(subject.options, TemporalOptions) else None


def columns(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """The period column must be in history; other base columns missing there are not archived."""
    o, base, store = _options(subject), subject.base, subject.store
    if o is None or base is None or store is None:
        return
    period = o.declared.role("period") or ""
    for drift in period_columns(subject, ctx, missing=Severity.WARNING, extra_breaks=False,
                                why_missing="the versioning trigger silently leaves it out of archived rows (if "
                                            f"that is deliberate, list it in {ctx.section(base.ref.name)} "
                                            f"unrecorded in {ctx.config_file})"):
        if drift.column == period and drift.kind == "missing-column":
            yield Drift("missing-column", Severity.ERROR,
                        f"{store.ref.name} has no {period} column: the versioning trigger fails on every UPDATE "
                        f"and DELETE of {base.ref.name}", period,
                        AddColumn(store.ref, period, base.columns[period].type, nullable=False), store.ref)
        else:
            yield drift


def trigger(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """The versioning trigger must be there and enabled."""
    o, base, store = _options(subject), subject.base, subject.store
    if o is None or base is None or store is None:
        return
    if o.trigger is None:
        period = o.declared.role("period") or ""
        yield Drift("trigger", Severity.ERROR,
                    f"{base.ref.name} has no versioning() trigger although {store.ref.name} keeps its periods: its "
                    "changes are no longer archived", remedy=CreateTrigger(
                        base.ref, "versioning_trigger", "BEFORE", ("INSERT", "UPDATE", "DELETE"), "versioning",
                        (period, store.ref.name if store.ref.schema == base.ref.schema else
                         f"{store.ref.schema}.{store.ref.name}", "true")), target=base.ref)
        return
    found = next((t for t in base.triggers if t.name == o.trigger), None)
    if found is not None and not found.enabled:
        yield Drift("trigger", Severity.ERROR,
                    f"trigger {o.trigger} on {base.ref.name} is disabled: changes to {base.ref.name} are not "
                    "archived", remedy=EnableTrigger(base.ref, o.trigger), target=base.ref)


def versioned_columns(subject: Subject) -> tuple[str, ...] | None:
    """The base columns the history archives: those it has, less the period column."""
    o = _options(subject)
    return None if o is None else paired_versioned(subject, (o.declared.role("period") or "",))


CHECK = CheckSpec(StoreKind.PAIRED, comparators=(columns, type_drifts, trigger), store_suffix="_history",
                  hides_columns=True, versioned_columns=versioned_columns)
