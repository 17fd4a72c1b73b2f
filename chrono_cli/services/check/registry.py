"""The shared comparator registry: what check-migrations compares per rule a convention opts into, in a visible
order (a convention's own comparators come with its check spec)."""

from __future__ import annotations

from collections.abc import Callable

from chrono_cli.conventions.checkspec import CheckContext, CheckSpec, Comparator, Drift, Rule, Subject

__all__ = ["KINDS", "CheckContext", "Comparator", "Drift", "Subject", "comparator", "comparators_for"]

# Finding kinds: the names used in output and in [tables.X] severity = {kind = "..."}.
KINDS: dict[str, str] = {
    "missing-history": "a versioned base table has no history store",
    "orphan-history": "a history table whose base table is gone",
    "missing-column": "a base column the history table does not have",
    "extra-column": "a history column the base table no longer has",
    "type-narrowed": "a history column that cannot hold every base value",
    "type-mismatch": "a history column of a different type",
    "type-widened": "a history column of a wider type",
    "not-null": "NOT NULL in history where the base allows NULL",
    "unique": "a unique constraint or index in a history table",
    "primary-key": "a history key other than the base key plus the version column",
    "missing-meta-column": "a column the convention writes is missing",
    "meta-type": "a column the convention writes has the wrong type",
    "nullable": "a history column that allows NULL where the library copies NOT NULL",
    "foreign-key": "a foreign key constraint in a history table",
    "trigger": "a versioning trigger that is missing or disabled",
    "stale-config": "configuration naming a column that does not exist",
}


_COMPARATORS: list[tuple[frozenset[Rule], Comparator]] = []


def comparator(*rules: Rule) -> Callable[[Comparator], Comparator]:
    """Register a comparator for conventions that opt into one of ``rules`` (none: every convention)."""

    def register(fn: Comparator) -> Comparator:
        _COMPARATORS.append((frozenset(rules), fn))
        return fn

    return register


def comparators_for(spec: CheckSpec) -> list[Comparator]:
    """The shared comparators that apply to a convention's check spec (registration order), then its own."""
    return [fn for rules, fn in _COMPARATORS if not rules or rules & spec.rules] + list(spec.comparators)
