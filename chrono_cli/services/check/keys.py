"""Primary keys and unique constraints: a history table must accept a second version of every row."""

from __future__ import annotations

from collections.abc import Iterator

from chrono_cli.conventions.checkspec import Rule
from chrono_cli.conventions.types import is_integer
from chrono_cli.db.reflect import TableInfo
from chrono_cli.model import Severity
from chrono_cli.services.check.registry import CheckContext, Drift, Subject, comparator
from chrono_cli.services.check.remedy import DropUnique, SetPrimaryKey


def _cols(columns: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(columns) + ")"


@comparator(Rule.VERSION_KEY)
def primary_key(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """The history key must be the base key plus ``version``."""
    base, store = subject.base, subject.store
    if base is None or store is None or not base.pk:
        return
    expected = (*base.pk, "version")
    remedy = SetPrimaryKey(store.ref, expected)
    have = set(store.pk)
    if have == set(expected):
        return
    if not store.pk:
        yield Drift("primary-key", Severity.WARNING,
                    f"{store.ref.name} has no primary key; {subject.convention} keys it by {_cols(expected)}",
                    remedy=remedy, target=store.ref)
    elif have > set(expected):
        yield Drift("primary-key", Severity.WARNING,
                    f"{store.ref.name}'s primary key {_cols(store.pk)} has columns beyond {_cols(expected)}: "
                    "writes work, but lookups by key and version may match several rows", remedy=remedy,
                    target=store.ref)
    else:
        missing = [c for c in expected if c not in have]
        yield Drift("primary-key", Severity.ERROR,
                    f"{store.ref.name}'s primary key is {_cols(store.pk)}, expected {_cols(expected)} "
                    f"(missing {', '.join(missing)}): the second version of a row violates it", remedy=remedy,
                    target=store.ref)


def _uniques(store: TableInfo, version: str, what: str) -> Iterator[Drift]:
    seen: set[tuple[str, ...]] = set()
    for ix in store.indexes:
        if not ix.unique or version in ix.columns or ix.columns in seen:
            continue
        seen.add(ix.columns)
        label = f"unique constraint or index {ix.name}" if ix.name else "an unnamed unique constraint"
        yield Drift("unique", Severity.ERROR,
                    f"{store.ref.name} has {label} on {_cols(ix.columns)}: {what}",
                    ix.columns[0] if len(ix.columns) == 1 else None, DropUnique(store.ref, ix.name, ix.columns),
                    store.ref)


@comparator(Rule.VERSION_KEY)
def unique(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """Unique constraints (without the version column) break on the second version of a row."""
    if subject.store is not None and subject.base is not None:
        yield from _uniques(subject.store, "version", "the second version of a row violates it")


@comparator(Rule.VERSION_ROWS)
def versioned_rows_keys(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """Versioned rows insert a new row per change: the key needs version_id, uniques must include it."""
    t = subject.base
    if t is None:
        return
    version = t.columns.get("version_id")
    if version is None or not is_integer(version.type):
        what = "has no version_id column" if version is None else "has a non-integer version_id"
        yield Drift("missing-meta-column" if version is None else "meta-type", Severity.ERROR,
                    f"{t.ref.name} {what}: versioned rows number each row's versions with it", "version_id",
                    target=t.ref)
        return
    if "version_id" not in t.pk:
        key = tuple(c for c in t.pk if c != "version_id") or ("id",)
        yield Drift("primary-key", Severity.ERROR,
                    f"{t.ref.name}'s primary key {_cols(t.pk)} lacks version_id: the second version of a row "
                    "violates it", remedy=SetPrimaryKey(t.ref, (*key, "version_id")), target=t.ref)
    yield from _uniques(t, "version_id", "the next version of a row repeats the value and violates it")


@comparator(Rule.INTEGER_OBJECT_KEY)
def potion_keys(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """The shared store records the base key as one integer: the base key must be one integer column."""
    base = subject.base
    if base is None:
        return
    store = subject.store.ref.name if subject.store is not None else "its store"
    if len(base.pk) != 1 or not is_integer(base.columns[base.pk[0]].type):
        shown = ", ".join(f"{c} {ctx.type_name(base.columns[c].type)}" for c in base.pk) or "none"
        yield Drift("primary-key", Severity.ERROR,
                    f"{base.ref.name}'s primary key ({shown}) is not one integer column: {subject.convention} "
                    f"stores it as an integer in {store}, so the next history write fails", target=base.ref)
