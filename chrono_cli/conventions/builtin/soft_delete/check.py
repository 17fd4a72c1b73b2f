"""Soft-delete columns' check-migrations spec (imported by check-migrations, not by reads)."""

from __future__ import annotations

from chrono_cli.conventions.checkspec import CheckSpec, StoreKind

CHECK = CheckSpec(StoreKind.IN_TABLE)  # nothing to compare: the column is the whole convention
