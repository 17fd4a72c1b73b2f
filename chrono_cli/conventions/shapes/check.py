"""check-migrations for layouts declared in chrono.toml: the comparator their check spec brings."""

from __future__ import annotations

from collections.abc import Iterator

from chrono_cli.conventions.checkspec import CheckContext, Drift, Subject
from chrono_cli.conventions.remedy import AddColumn
from chrono_cli.conventions.shapes.common import DeclaredOptions
from chrono_cli.conventions.shapes.drift import drift, trigger_drift
from chrono_cli.model import Severity


def declared_drift(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """A declared history table that is gone, columns its base table and it no longer share, a lost trigger."""
    base, store = subject.base, subject.store
    if base is None:
        return
    if store is None:
        yield Drift("missing-history", Severity.ERROR,
                    f"{subject.store_ref} (the declared {subject.convention} history of {base.ref.name}) does not "
                    "exist: the triggers that fill it fail on the next write")
        return
    dec = subject.options.declared if isinstance(subject.options, DeclaredOptions) else None
    if dec is None:
        return
    found_all = list(drift(base, store, dec, subject.config)) + list(trigger_drift(base, store, dec, base.triggers))
    for found in found_all:
        remedy = None
        if found.add_to_history and found.column is not None:
            remedy = AddColumn(store.ref, found.column, base.columns[found.column].type, nullable=True)
        yield Drift(found.kind, found.severity, found.message, found.column, remedy,
                    base.ref if found.kind == "trigger" else store.ref)
