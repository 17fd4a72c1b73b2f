"""check-migrations for SQLAlchemy-Continuum: version tables against their base tables (conventions.md 4.3, 4.7,
9.1).

Version-table columns other than the key are always nullable (the library writes every state, alembic
flip-flops on it: issues #285 / sqlalchemy-history #26), so a NOT NULL base column never counts as drift.
"""

from __future__ import annotations

from collections.abc import Iterator

from chrono_cli.conventions.checkrules import dropped_columns, excluded_line, type_drifts, uniques
from chrono_cli.conventions.checkspec import CheckContext, CheckSpec, Drift, StoreKind, Subject
from chrono_cli.conventions.continuum_options import (
    END_COL,
    INTERNAL,
    OP_COL,
    TX_COL,
    ContinuumOptions,
    mod_columns,
)
from chrono_cli.conventions.remedy import AddColumn, AlterColumn, EnableTrigger, SyncTrigger
from chrono_cli.conventions.types import is_integer
from chrono_cli.model import Severity

SYNC_TRIGGER = "sqlalchemy_continuum.dialects.postgresql"  # native versioning's sync_trigger


def _options(subject: Subject) -> ContinuumOptions:
    return subject.options if isinstance(subject.options, ContinuumOptions) else ContinuumOptions("")  # undetected


def _native(subject: Subject) -> bool:
    o = _options(subject)
    return o.native or o.schema_native


def version_columns(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """Base columns the version table lacks (excluded or forgotten) and version columns the base dropped."""
    base, store = subject.base, subject.store
    if base is None or store is None:
        return
    mods = mod_columns(store)
    tracker = bool(mods)
    mod_names = set(mods.values())
    declared = set(subject.declared_columns)
    for name, col in base.columns.items():
        if name in store.columns or name in declared:
            continue
        what = f"{base.ref.name}.{name} ({ctx.type_name(col.type)}) is not in {store.ref.name}"
        remedy = AddColumn(store.ref, name, col.type, nullable=True)
        if tracker and f"{name}_mod" not in store.columns:
            continue  # PropertyModTracker flags every versioned column: no flag either means `exclude`
        why = (f"but {name}_mod is, so it was versioned: a migration dropped it" if f"{name}_mod" in store.columns
               else "without PropertyModTracker flags this may be `exclude` or a migration that missed it")
        yield Drift("missing-column", Severity.WARNING,
                    f"{what} {why} (if it is excluded, say so with {excluded_line(subject, name, ctx)})",
                    name, remedy, store.ref)
    def internal(name: str) -> bool:
        return name in INTERNAL or name in mod_names or name.removesuffix("_mod") in base.columns

    def needs_sync(name: str) -> Drift:
        return Drift("extra-column", Severity.WARNING,
                     f"{store.ref.name}.{name} is no longer in {base.ref.name}: native versioning's trigger "
                     f"copies columns by name, re-run sync_trigger after this DDL (issue #236)", name,
                     SyncTrigger(base.ref, store.ref, SYNC_TRIGGER), store.ref)

    yield from dropped_columns(base, store, internal, failure="the next version write fails",
                               dropped=" (a dropped column)", nullable=needs_sync if _native(subject) else None)


def version_not_null(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """Version columns get NULL whenever the base row has NULL; the key is exempt."""
    base, store = subject.base, subject.store
    if base is None or store is None:
        return
    for name, col in store.columns.items():
        other = base.columns.get(name)
        if other is None or col.nullable or not other.nullable or name in store.pk:
            continue
        yield Drift("not-null", Severity.ERROR,
                    f"{store.ref.name}.{name} is NOT NULL but {base.ref.name}.{name} allows NULL: saving a version "
                    f"whose {name} is NULL fails (version columns are all nullable)", name,
                    AlterColumn(store.ref, name, col.type, col.nullable, nullable=True), store.ref)


def version_types(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """Types equal the base's; serial/identity keys reflect as plain integers, so they compare equal."""
    yield from type_drifts(subject, ctx)


def version_unique(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """A version table holds many rows per record: no unique constraint without transaction_id."""
    if subject.store is not None and subject.base is not None:
        yield from uniques(subject.store, TX_COL, "the second version of a row violates it")


def version_meta(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """transaction_id and operation_type integer NOT NULL; end_transaction_id for the validity strategy."""
    store = subject.store
    if store is None or subject.base is None:
        return
    for name in (TX_COL, OP_COL, END_COL):
        col = store.columns.get(name)
        if col is None:
            continue
        if not is_integer(col.type):
            yield Drift("meta-type", Severity.ERROR,
                        f"{store.ref.name}.{name} is {ctx.type_name(col.type)}: {subject.convention} writes "
                        "integers there",
                        name, target=store.ref)
    if _options(subject).strategy == "validity":
        end = store.columns.get(END_COL)
        if end is not None and not end.nullable:
            yield Drift("meta-type", Severity.ERROR,
                        f"{store.ref.name}.{END_COL} is NOT NULL: {subject.convention} writes NULL for the current "
                        "version",
                        END_COL, AlterColumn(store.ref, END_COL, end.type, False, nullable=True), store.ref)


def version_trigger(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """Native versioning: ``<t>_trigger`` -> ``<t>_audit()`` must exist and be enabled on every versioned table."""
    base, store = subject.base, subject.store
    if base is None or store is None or ctx.dialect.name != "postgresql" or not _native(subject):
        return
    trigger = f"{base.ref.name}_trigger"
    fk_columns = {c for fk in base.foreign_keys for c in fk.columns}
    o = _options(subject)
    if not o.native and base.pk and set(base.pk) <= fk_columns:
        return  # an association table (``secondary``): native versioning gives it no trigger of its own
    if not o.native:
        yield Drift("trigger", Severity.ERROR,
                    f"{base.ref.name} has no trigger {trigger} -> {base.ref.name}_audit() although this schema uses "
                    "native versioning: its changes are not versioned (run sync_trigger after "
                    "migrations, issue #236)", remedy=SyncTrigger(base.ref, store.ref, SYNC_TRIGGER), target=base.ref)
    elif not o.native_enabled:
        yield Drift("trigger", Severity.ERROR,
                    f"trigger {trigger} on {base.ref.name} is disabled (ALTER TABLE ... DISABLE TRIGGER): changes "
                    f"to {base.ref.name} are not versioned", remedy=EnableTrigger(base.ref, trigger),
                    target=base.ref)


CHECK = CheckSpec(StoreKind.PAIRED, comparators=(version_columns, version_not_null, version_types, version_unique,
                                                 version_meta, version_trigger))
