"""check-migrations for the periods extension (conventions.md 6D, 9.1): the history table must have exactly the
base columns with the same types, and the extension's triggers must exist and be enabled."""

from __future__ import annotations

from collections.abc import Iterator

from chrono_cli.conventions.builtin.periods.adapter import system_versioned
from chrono_cli.conventions.checkrules import type_drifts
from chrono_cli.conventions.checkspec import CheckContext, CheckSpec, Drift, StoreKind, Subject
from chrono_cli.conventions.remedy import EnableTrigger
from chrono_cli.conventions.shapes.period_check import paired_versioned, period_columns
from chrono_cli.model import Severity


def columns(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """A base-only column is silently not archived; a history-only column breaks every UPDATE and DELETE."""
    yield from period_columns(
        subject, ctx, missing=Severity.ERROR, extra_breaks=True,
        why_missing="the extension silently leaves it out of every archived row and of the _with_history view "
                    "(documented path: periods.drop_system_versioning, alter both tables, "
                    "periods.add_system_versioning)")


def triggers(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """The extension's generated-always and write-history triggers must be there and enabled."""
    base = subject.base
    p = system_versioned(base) if base is not None else None
    if base is None or p is None:
        return
    for name, does in ((p.write_history_trigger, "archives replaced rows"),
                       (p.generated_always_trigger, "stamps the period columns")):
        found = next((t for t in base.triggers if t.name == name), None)
        if found is None:
            yield Drift("trigger", Severity.ERROR,
                        f"{base.ref.name} has no trigger {name} (it {does}): run "
                        f"periods.drop_system_versioning and periods.add_system_versioning again", target=base.ref)
        elif not found.enabled:
            yield Drift("trigger", Severity.ERROR,
                        f"trigger {name} on {base.ref.name} is disabled (it {does}): changes to {base.ref.name} "
                        "are not versioned", remedy=EnableTrigger(base.ref, name or ""), target=base.ref)


def versioned_columns(subject: Subject) -> tuple[str, ...] | None:
    """The base columns the history archives: not the period's, not the excluded ones."""
    p = system_versioned(subject.base) if subject.base is not None else None
    return None if p is None else paired_versioned(subject, (p.start, p.end, *p.excluded))


CHECK = CheckSpec(StoreKind.PAIRED, comparators=(columns, type_drifts, triggers), store_suffix="_history",
                  versioned_columns=versioned_columns)
