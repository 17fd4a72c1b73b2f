"""Near misses: the schema drift between a base table and its history store, as degradation reasons."""

from __future__ import annotations

from collections.abc import Callable, Collection

from chrono_cli.conventions.base import Degradation
from chrono_cli.conventions.types import Fit, type_fit
from chrono_cli.db.reflect import TableInfo

_BREAKS = (Fit.NARROWER, Fit.OTHER)  # a type change only counts when the history cannot hold the base values


def missing(base: TableInfo, store: TableInfo, skip: Collection[str] = ()) -> list[Degradation]:
    """Base columns the store has no column for."""
    return [Degradation(f"base column {c} has no history column", c)
            for c in base.columns if c not in store.columns and c not in skip]


def extra(base: TableInfo, store: TableInfo, data: Collection[str],
          keep: Callable[[str], bool] | None = None) -> list[Degradation]:
    """Store data columns the base no longer has (``keep`` says which of them are expected)."""
    return [Degradation(f"history column {c} is no longer in {base.ref.name}")
            for c in data if c not in base.columns and not (keep and keep(c))]


def retyped(base: TableInfo, store: TableInfo, data: Collection[str]) -> list[Degradation]:
    """Data columns whose history type cannot hold the base type's values."""
    out: list[Degradation] = []
    for c in data:
        b, h = base.columns.get(c), store.columns.get(c)
        if b is None or h is None:
            continue
        fit, why = type_fit(b.type, h.type)
        if fit in _BREAKS:
            out.append(Degradation(f"history column {c} no longer fits base column {c}: {why}", c))
    return out


def column_drift(base: TableInfo, store: TableInfo, data: Collection[str], *, skip: Collection[str] = (),
                 report_missing: bool = True, keep: Callable[[str], bool] | None = None) -> list[Degradation]:
    """Missing, extra and retyped columns of ``store`` against ``base``; ``data`` are the store's copied columns."""
    out = missing(base, store, skip) if report_missing else []
    return out + extra(base, store, data, keep) + retyped(base, store, data)
