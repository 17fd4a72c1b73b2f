"""Column types of per-table history stores against their base tables."""

from __future__ import annotations

from collections.abc import Iterator

from chrono_cli.conventions.checkspec import Rule
from chrono_cli.conventions.types import Fit, type_fit
from chrono_cli.model import Severity
from chrono_cli.services.check.expect import FIT_FINDINGS
from chrono_cli.services.check.registry import CheckContext, Drift, Subject, comparator
from chrono_cli.services.check.remedy import AlterColumn


@comparator(Rule.COPY_COLUMNS)
def column_types(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """Every shared column's history type must hold every value of its base type."""
    base, store = subject.base, subject.store
    if base is None or store is None:
        return
    skip = subject.spec.meta_names
    for name, col in store.columns.items():
        other = base.columns.get(name)
        if name in skip or other is None:
            continue
        fit, reason = type_fit(other.type, col.type)
        found = FIT_FINDINGS[fit]
        if found is None:
            continue
        kind, severity = found
        remedy = None
        if severity is not Severity.INFO:
            remedy = AlterColumn(store.ref, name, col.type, col.nullable, type=other.type)
        hist, live = ctx.type_name(col.type), ctx.type_name(other.type)
        verb = "narrows" if fit is Fit.NARROWER else "differs from"
        yield Drift(kind, severity,
                    f"{store.ref.name}.{name} is {hist}, which {verb} {base.ref.name}.{name} {live}: {reason}",
                    name, remedy, store.ref)
