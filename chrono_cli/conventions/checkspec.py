"""What check-migrations compares for a convention: its store's shape, the columns it writes, its rules."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import types as sqltypes
from sqlalchemy.types import TypeEngine

from chrono_cli.db.reflect import TableInfo
from chrono_cli.model import Severity


class StoreKind(enum.Enum):
    """Where a convention keeps history."""

    PAIRED = "paired"      # one store per base table, named after it
    SHARED = "shared"      # one store for many tables (checked once, on its own)
    IN_TABLE = "in-table"  # the base table itself


class Rule(enum.Enum):
    """Families of comparators a convention opts into (the common ones always run)."""

    COPY_COLUMNS = "copy-columns"            # the store copies every base column, NOT NULL and types alike
    VERSION_KEY = "version-key"              # the store's key is the base key + version, no other uniques
    STORE_EXISTS = "store-exists"            # a versioned base needs its store; a store needs its base
    TRANSACTION_VERSIONS = "transaction-versions"  # version rows per transaction, nullable copies, triggers
    HISTORICAL_ROWS = "historical-rows"      # one row per save, foreign keys copied unconstrained
    VERSION_ROWS = "version-rows"            # versions as rows of the base table itself
    INTEGER_OBJECT_KEY = "integer-object-key"  # the shared store keeps the base key as one integer
    DECLARED = "declared"                    # a layout declared in chrono.toml: its roles and triggers


@dataclass(frozen=True, slots=True)
class MetaColumn:
    """A column a convention writes itself."""

    name: str
    type: TypeEngine[Any]
    missing: Severity = Severity.ERROR      # how bad it is when the column is not there
    nullable: bool = True
    server_default: str | None = None
    timezone_matters: bool = True           # False where the library writes aware values into naive columns
    exact: bool = False                     # keys and ordering depend on it: kept as text is an error too


@dataclass(frozen=True, slots=True)
class CheckSpec:
    """check-migrations' knowledge of one convention."""

    store: StoreKind
    rules: frozenset[Rule] = frozenset()
    store_meta: tuple[MetaColumn, ...] = ()
    base_meta: tuple[MetaColumn, ...] = ()
    hides_columns: bool = False        # base columns may be left out of the store on purpose (hidden/untracked)
    store_suffix: str = ""             # paired stores: ``<base><suffix>``
    versioned_base: Callable[[TableInfo], bool] | None = None  # a base that looks versioned by this convention
    lone_store: Callable[[TableInfo], bool] | None = None      # a store of this convention, with or without base

    @property
    def meta_names(self) -> frozenset[str]:
        """Names of the store columns the convention writes itself (never compared with the base)."""
        return frozenset(m.name for m in self.store_meta)

    @property
    def base_meta_names(self) -> frozenset[str]:
        return frozenset(m.name for m in self.base_meta)


VERSION = MetaColumn("version", sqltypes.Integer(), nullable=False, exact=True)
JSON = sqltypes.JSON()
