"""check-migrations for django-simple-history: historical tables against their model tables (conventions.md 5.6,
9.1).

Historical columns = base columns - excluded_fields + ``history_*``; foreign keys are copied as nullable,
unconstrained columns, other NOT NULL columns are copied, unique constraints become plain indexes.
"""

from __future__ import annotations

from collections.abc import Iterator

from chrono_cli.conventions.checkrules import dropped_columns, excluded_line, type_drifts, uniques
from chrono_cli.conventions.checkspec import CheckContext, CheckSpec, Drift, StoreKind, Subject
from chrono_cli.conventions.remedy import AddColumn, AlterColumn, DropForeignKey
from chrono_cli.conventions.types import is_integer
from chrono_cli.model import Severity

HISTORY_ID = "history_id"  # the historical table's own key; its other bookkeeping columns share the prefix


def _history(name: str) -> bool:
    return name.startswith("history_")


def _fk_columns(subject: Subject) -> set[str]:
    assert subject.base is not None
    return {c for fk in subject.base.foreign_keys for c in fk.columns}


def historical_columns(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """Base fields the historical table lacks (excluded_fields or drift) and historical fields the base dropped."""
    base, store = subject.base, subject.store
    if base is None or store is None:
        return
    declared = set(subject.declared_columns)
    for name, col in base.columns.items():
        if name in store.columns or name in declared:
            continue
        note = "" if col.nullable else " (NOT NULL in the base: add it nullable or with a default, old history " \
                                       f"rows have no value, {subject.convention} #793)"
        yield Drift("missing-column", Severity.WARNING,
                    f"{base.ref.name}.{name} ({ctx.type_name(col.type)}) is not in {store.ref.name}: fine if it is "
                    f"in excluded_fields (say so with {excluded_line(subject, name, ctx)}), otherwise a migration "
                    f"missed it and the next save fails{note}", name,
                    AddColumn(store.ref, name, col.type, nullable=True), store.ref)
    yield from dropped_columns(base, store, _history, failure="the next save writes NULL there and fails",
                               dropped=" (a dropped field)")


def historical_nullability(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """Foreign keys nullable, other NOT NULL copied: NOT NULL where the base allows NULL breaks the next save."""
    base, store = subject.base, subject.store
    if base is None or store is None:
        return
    fks = _fk_columns(subject)
    for name, col in store.columns.items():
        other = base.columns.get(name)
        if other is None or _history(name):
            continue
        if not col.nullable and (other.nullable or name in fks):
            why = (f"{base.ref.name}.{name} allows NULL: saving a version whose {name} is NULL fails"
                   if other.nullable else
                   f"{subject.convention} copies foreign keys as nullable columns (the referenced row may be "
                   "deleted)")
            yield Drift("not-null", Severity.ERROR if other.nullable else Severity.WARNING,
                        f"{store.ref.name}.{name} is NOT NULL but {why}", name,
                        AlterColumn(store.ref, name, col.type, col.nullable, nullable=True), store.ref)
        elif col.nullable and not other.nullable and name not in fks and name not in base.pk:
            yield Drift("nullable", Severity.INFO,
                        f"{store.ref.name}.{name} allows NULL but {base.ref.name}.{name} is NOT NULL: history writes "
                        "work; Django's next migration of the historical model will make it NOT NULL, which fails "
                        f"while old history rows hold NULL ({subject.convention} #793: give it a default)", name,
                        target=store.ref)


def historical_foreign_keys(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """Foreign key constraints on copied fields: deleting a referenced row fails while history points at it."""
    store = subject.store
    if store is None or subject.base is None:
        return
    for fk in store.foreign_keys:
        if any(_history(c) for c in fk.columns):
            continue  # history_user_id references the user table by design
        label = f"foreign key {fk.name}" if fk.name else "an unnamed foreign key"
        cols = ", ".join(fk.columns)
        yield Drift("foreign-key", Severity.ERROR,
                    f"{store.ref.name} has {label} ({cols}) -> {fk.referred.name}: deleting a referenced "
                    f"{fk.referred.name} row fails while history rows point at it ({subject.convention} copies "
                    "foreign keys without constraints)", fk.columns[0] if len(fk.columns) == 1 else None,
                    DropForeignKey(store.ref, fk.name, fk.columns), store.ref)


def historical_types(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """Types equal the base's, except auto keys and foreign keys, which become plain int/bigint."""
    base = subject.base
    if base is None or subject.store is None:
        return
    keys = set(base.pk) | _fk_columns(subject)
    for drift in type_drifts(subject, ctx):
        name = drift.column
        if name in keys and drift.kind == "type-widened" and is_integer(base.columns[name].type):
            continue
        yield drift


def historical_unique(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """Unique fields become plain indexes: a unique constraint breaks the second version of a row."""
    if subject.store is not None and subject.base is not None:
        yield from uniques(subject.store, HISTORY_ID, "the second version of a row violates it")


CHECK = CheckSpec(StoreKind.PAIRED, comparators=(historical_columns, historical_nullability, historical_foreign_keys,
                                                 historical_types, historical_unique))
