"""check-migrations for layouts declared in chrono.toml: their subjects and the shape engines' drift rules."""

from __future__ import annotations

from collections.abc import Iterator

from chrono_cli import conventions
from chrono_cli.config import Config
from chrono_cli.conventions import declared
from chrono_cli.conventions.checkspec import Rule
from chrono_cli.conventions.shapes.common import DeclaredOptions
from chrono_cli.conventions.shapes.drift import drift, trigger_drift
from chrono_cli.db.reflect import SchemaSnapshot
from chrono_cli.services.check.registry import CheckContext, Drift, Subject, comparator
from chrono_cli.services.check.remedy import AddColumn


def with_declared(snapshot: SchemaSnapshot, config: Config, subjects: list[Subject]) -> list[Subject]:
    """``subjects`` with each declared layout replacing whatever pairing found for its tables."""
    mine: list[Subject] = []
    for name, tcfg, base in declared.declared_tables(snapshot, config):
        layout = tcfg.layout
        assert layout is not None
        spec = conventions.get(layout.shape.value).check
        assert spec is not None
        ref = declared.history_ref(base, tcfg)
        store = base if ref is None else snapshot.get(ref)
        if store is None:
            mine.append(Subject(layout.shape.value, spec, base, None, tcfg, store_ref=ref, declared=True))
            continue
        dec = declared.resolve(name, tcfg, base, store)
        mine.append(Subject(layout.shape.value, spec, base, store, tcfg, declared=True, options=DeclaredOptions(dec)))
    claimed = {s.table for s in mine} | {s.history for s in mine if s.history is not None}
    return [s for s in subjects if s.table not in claimed and s.history not in claimed] + mine


@comparator(Rule.DECLARED)
def declared_drift(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """A declared history table that is gone, columns its base table and it no longer share, a lost trigger."""
    from chrono_cli.model import Severity

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
