"""Comparisons several conventions' check-migrations comparators share (pure functions over reflected tables)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from chrono_cli.conventions.checkspec import FIT_FINDINGS, CheckContext, Drift, Subject
from chrono_cli.conventions.remedy import AlterColumn, DropUnique
from chrono_cli.conventions.types import Fit, type_fit
from chrono_cli.db.reflect import TableInfo
from chrono_cli.model import Severity


def columns_text(columns: tuple[str, ...] | list[str]) -> str:
    """``(a, b)``: a column list as messages show it."""
    return "(" + ", ".join(columns) + ")"


def excluded_line(subject: Subject, column: str, ctx: CheckContext) -> str:
    """The config line that declares ``column`` excluded from versioning."""
    values = ", ".join(f'"{c}"' for c in [*subject.config.excluded, column])
    return f"{ctx.section(subject.table.name)} excluded = [{values}] in {ctx.config_file}"


def dropped_columns(base: TableInfo, store: TableInfo, skip: Callable[[str], bool], *, failure: str,
                    dropped: str = "", nullable: Callable[[str], Drift] | None = None) -> Iterator[Drift]:
    """Store columns the base no longer has: an error when NOT NULL without default (``failure`` says what
    breaks), else ``nullable(name)`` if given, else info (``dropped`` qualifies the column)."""
    for name, col in store.columns.items():
        if name in base.columns or skip(name):
            continue
        if not col.nullable and col.default is None:
            yield Drift("extra-column", Severity.ERROR,
                        f"{store.ref.name}.{name} is NOT NULL without a default and {base.ref.name} no longer has "
                        f"it: {failure}", name,
                        AlterColumn(store.ref, name, col.type, col.nullable, nullable=True), store.ref)
        elif nullable is not None:
            yield nullable(name)
        else:
            yield Drift("extra-column", Severity.INFO,
                        f"{store.ref.name}.{name} is no longer in {base.ref.name}{dropped}: old versions keep it, "
                        "new ones leave it empty", name, target=store.ref)


def type_drifts(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
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


def uniques(store: TableInfo, version: str, what: str) -> Iterator[Drift]:
    """Unique constraints or indexes of ``store`` without its ``version`` column: ``what`` breaks."""
    seen: set[tuple[str, ...]] = set()
    for ix in store.indexes:
        if not ix.unique or version in ix.columns or ix.columns in seen:
            continue
        seen.add(ix.columns)
        label = f"unique constraint or index {ix.name}" if ix.name else "an unnamed unique constraint"
        yield Drift("unique", Severity.ERROR,
                    f"{store.ref.name} has {label} on {columns_text(ix.columns)}: {what}",
                    ix.columns[0] if len(ix.columns) == 1 else None, DropUnique(store.ref, ix.name, ix.columns),
                    store.ref)
