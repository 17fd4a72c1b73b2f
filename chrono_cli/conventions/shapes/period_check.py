"""check-migrations for period conventions kept by triggers (periods extension, temporal_tables): the history
table against its base (conventions.md 6B, 6D, 9.1), and the triggers that keep it."""

from __future__ import annotations

from collections.abc import Iterator

from chrono_cli.conventions.checkspec import CheckContext, Drift, Subject
from chrono_cli.conventions.remedy import AddColumn, AlterColumn
from chrono_cli.model import Severity


def period_columns(subject: Subject, ctx: CheckContext, *, missing: Severity, extra_breaks: bool,
                   why_missing: str) -> Iterator[Drift]:
    """Base columns the history lacks (``missing`` severity, ``why_missing`` says what it costs) and history
    columns the base lacks (``extra_breaks``: every UPDATE/DELETE then fails, else only NOT NULL ones do)."""
    base, store = subject.base, subject.store
    if base is None or store is None:
        return
    declared_out = set(subject.declared_columns)
    for name, col in base.columns.items():
        if name in store.columns or name in declared_out:
            continue
        yield Drift("missing-column", missing,
                    f"{base.ref.name}.{name} ({ctx.type_name(col.type)}) is not in {store.ref.name}: {why_missing}",
                    name, AddColumn(store.ref, name, col.type, nullable=True), store.ref)
    for name, col in store.columns.items():
        if name in base.columns:
            continue
        if extra_breaks:
            yield Drift("extra-column", Severity.ERROR,
                        f"{store.ref.name}.{name} is not in {base.ref.name}: the history trigger cannot convert "
                        f"{base.ref.name}'s rows to {store.ref.name}'s, so every UPDATE and DELETE fails", name,
                        target=store.ref)
        elif not col.nullable and col.default is None:
            yield Drift("extra-column", Severity.ERROR,
                        f"{store.ref.name}.{name} is NOT NULL without a default and not in {base.ref.name}: "
                        "archiving a row fails, and with it every UPDATE and DELETE", name,
                        AlterColumn(store.ref, name, col.type, col.nullable, nullable=True), store.ref)


def paired_versioned(subject: Subject, bookkeeping: tuple[str, ...]) -> tuple[str, ...] | None:
    """The base columns a history table archives: those it has too, less ``bookkeeping`` (period, excluded)."""
    base, store = subject.base, subject.store
    if base is None or store is None:
        return None
    return tuple(c for c in base.columns if c in store.columns and c not in bookkeeping)
