"""Column sets, nullability and types of per-table history stores against their base tables."""

from __future__ import annotations

from collections.abc import Iterator

from chrono_cli.conventions.checkrules import dropped_columns, type_drifts
from chrono_cli.conventions.checkspec import CheckContext, Drift, Rule, Subject
from chrono_cli.conventions.remedy import AddColumn, AlterColumn
from chrono_cli.model import Severity
from chrono_cli.services.check.registry import comparator


def _config_line(subject: Subject, column: str, ctx: CheckContext) -> str:
    listed = [*subject.config.hidden, column]
    values = ", ".join(f'"{c}"' for c in listed)
    return f"{ctx.section(subject.table.name)} hidden = [{values}] in {ctx.config_file}"


@comparator(Rule.COPY_COLUMNS)
def missing_columns(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """Base columns the history table lacks: drift, unless the convention may leave them out."""
    base, store = subject.base, subject.store
    if base is None or store is None:
        return
    skip = subject.spec.base_meta_names | set(subject.declared_columns)
    for name, col in base.columns.items():
        if name in skip or name in store.columns:
            continue
        kind = f"{base.ref.name}.{name} ({ctx.type_name(col.type)}) is not in {store.ref.name}"
        remedy = AddColumn(store.ref, name, col.type, nullable=True)
        if subject.spec.hides_columns:
            yield Drift("missing-column", Severity.WARNING,
                        f"{kind}: fine if {subject.convention} hides or does not track it (say so with "
                        f"{_config_line(subject, name, ctx)}, or untracked), otherwise a migration missed it",
                        name, remedy, store.ref)
        else:
            yield Drift("missing-column", Severity.ERROR,
                        f"{kind}: {subject.convention} copies every column, so the next history write fails",
                        name, remedy, store.ref)


@comparator(Rule.COPY_COLUMNS)
def extra_columns(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """History columns the base table no longer has: harmless unless they must be filled."""
    base, store = subject.base, subject.store
    if base is None or store is None:
        return
    skip = subject.spec.meta_names
    yield from dropped_columns(base, store, skip.__contains__, failure="the next history write fails")


@comparator(Rule.COPY_COLUMNS)
def not_null(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """NOT NULL in history where the base allows NULL: the first NULL value breaks the history write."""
    base, store = subject.base, subject.store
    if base is None or store is None:
        return
    skip = subject.spec.meta_names | set(store.pk)
    for name, col in store.columns.items():
        other = base.columns.get(name)
        if name in skip or other is None or col.nullable or not other.nullable:
            continue
        yield Drift("not-null", Severity.ERROR,
                    f"{store.ref.name}.{name} is NOT NULL but {base.ref.name}.{name} allows NULL: saving a version "
                    f"whose {name} is NULL fails", name,
                    AlterColumn(store.ref, name, col.type, col.nullable, nullable=True), store.ref)


@comparator()
def stale_config(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """Declared hidden/untracked/excluded columns the base table does not have (renamed or dropped?)."""
    if subject.base is None or subject.store is subject.base:
        return
    for key in ("hidden", "untracked", "excluded"):
        for name in getattr(subject.config, key):
            if name not in subject.base.columns:
                yield Drift("stale-config", Severity.INFO,
                            f"{ctx.section(subject.table.name)} {key} names {name}, which {subject.base.ref.name} does "
                            "not have (renamed or dropped?)", name, target=subject.base.ref)


@comparator(Rule.COPY_COLUMNS)
def column_types(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """Every shared column's history type must hold every value of its base type."""
    yield from type_drifts(subject, ctx)
