"""Primary keys and unique constraints: a history table must accept a second version of every row."""

from __future__ import annotations

from collections.abc import Iterator

from chrono_cli.conventions.checkrules import columns_text, uniques
from chrono_cli.conventions.checkspec import CheckContext, Drift, Rule, Subject
from chrono_cli.conventions.remedy import SetPrimaryKey
from chrono_cli.model import Severity
from chrono_cli.services.check.registry import comparator


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
                    f"{store.ref.name} has no primary key; {subject.convention} keys it by {columns_text(expected)}",
                    remedy=remedy, target=store.ref)
    elif have > set(expected):
        yield Drift("primary-key", Severity.WARNING,
                    f"{store.ref.name}'s primary key {columns_text(store.pk)} has columns beyond "
                    f"{columns_text(expected)}: writes work, but lookups by key and version may match several "
                    "rows", remedy=remedy, target=store.ref)
    else:
        missing = [c for c in expected if c not in have]
        yield Drift("primary-key", Severity.ERROR,
                    f"{store.ref.name}'s primary key is {columns_text(store.pk)}, expected {columns_text(expected)} "
                    f"(missing {', '.join(missing)}): the second version of a row violates it", remedy=remedy,
                    target=store.ref)


@comparator(Rule.VERSION_KEY)
def unique(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """Unique constraints (without the version column) break on the second version of a row."""
    if subject.store is not None and subject.base is not None:
        yield from uniques(subject.store, "version", "the second version of a row violates it")
