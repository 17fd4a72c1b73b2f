"""Column types of per-table history stores against their base tables."""

from __future__ import annotations

from collections.abc import Iterator

from chrono_cli.conventions.checkrules import type_drifts
from chrono_cli.conventions.checkspec import CheckContext, Drift, Rule, Subject
from chrono_cli.services.check.registry import comparator


@comparator(Rule.COPY_COLUMNS)
def column_types(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """Every shared column's history type must hold every value of its base type."""
    yield from type_drifts(subject, ctx)
