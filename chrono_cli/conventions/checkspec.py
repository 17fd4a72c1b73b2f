"""The check-migrations contract of a convention: its store's shape, the columns it writes, the shared rules it
opts into and its own comparators, and what a comparator gets (a subject) and gives (drifts)."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import types as sqltypes
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from chrono_cli.config import TableConfig
from chrono_cli.conventions.base import NO_OPTIONS, Options
from chrono_cli.conventions.types import Fit
from chrono_cli.db.reflect import TableInfo
from chrono_cli.model import Severity, TableRef
from chrono_cli.records import Struct, field

if TYPE_CHECKING:  # what check-migrations proposes: not needed to read history
    from chrono_cli.conventions.remedy import Remedy


class StoreKind(enum.Enum):
    """Where a convention keeps history."""

    PAIRED = "paired"      # one store per base table, named after it
    SHARED = "shared"      # one store for many tables (checked once, on its own)
    IN_TABLE = "in-table"  # the base table itself


class Rule(enum.Enum):
    """Families of shared comparators a convention opts into (the common ones always run)."""

    COPY_COLUMNS = "copy-columns"            # the store copies every base column, NOT NULL and types alike
    VERSION_KEY = "version-key"              # the store's key is the base key + version, no other uniques
    STORE_EXISTS = "store-exists"            # a versioned base needs its store; a store needs its base


class MetaColumn(Struct, frozen=True):
    """A column a convention writes itself."""

    name: str
    type: TypeEngine[Any]
    missing: Severity = Severity.ERROR      # how bad it is when the column is not there
    nullable: bool = True
    server_default: str | None = None
    timezone_matters: bool = True           # False where the library writes aware values into naive columns
    exact: bool = False                     # keys and ordering depend on it: kept as text is an error too
    optional: bool = False                  # written only in some set-ups: its absence is no finding


class CheckSpec(Struct, frozen=True):
    """check-migrations' knowledge of one convention."""

    store: StoreKind
    rules: frozenset[Rule] = frozenset()
    comparators: tuple[Comparator, ...] = ()  # the convention's own, run after the shared ones
    store_meta: tuple[MetaColumn, ...] = ()
    base_meta: tuple[MetaColumn, ...] = ()
    hides_columns: bool = False        # base columns may be left out of the store on purpose (hidden/untracked)
    store_suffix: str = ""             # paired stores: ``<base><suffix>``
    versioned_base: Callable[[TableInfo], bool] | None = None  # a base that looks versioned by this convention
    lone_store: Callable[[TableInfo], bool] | None = None      # a store of this convention, with or without base
    # the fix for a table the baseline records as versioned by this convention and that lost it (None: none)
    reinstate: Callable[[TableInfo], Remedy | None] | None = None
    # the base columns whose changes the store records now (the baseline keeps them: a column that leaves
    # versioning is an error even when the schema no longer says it was versioned); None: not tracked
    versioned_columns: Callable[[Subject], tuple[str, ...] | None] | None = None
    # the fix for a base column the baseline records as versioned that no longer is (None: none)
    reinstate_column: Callable[[TableInfo, str], Remedy | None] | None = None

    @property
    def meta_names(self) -> frozenset[str]:
        """Names of the store columns the convention writes itself (never compared with the base)."""
        return frozenset(m.name for m in self.store_meta)

    @property
    def base_meta_names(self) -> frozenset[str]:
        return frozenset(m.name for m in self.base_meta)


VERSION = MetaColumn("version", sqltypes.Integer(), nullable=False, exact=True)
JSON = sqltypes.JSON()


@dataclasses.dataclass(frozen=True, slots=True)
class Subject:
    """One thing to check: a base table and its store (either may be missing), under one convention."""

    convention: str
    spec: CheckSpec
    base: TableInfo | None
    store: TableInfo | None
    config: TableConfig
    base_ref: TableRef | None = None      # the base's name when ``base`` is None (orphaned store)
    store_ref: TableRef | None = None     # the expected store when ``store`` is None (missing history)
    declared: bool = False                # named in config, not inferred from the schema
    joined_child: bool = False            # joined inheritance: the version column lives on the parent table
    options: Options = dataclasses.field(default=NO_OPTIONS, hash=False, compare=False)  # the detection's options

    @property
    def table(self) -> TableRef:
        """The table findings are reported under."""
        if self.base is not None:
            return self.base.ref
        if self.base_ref is not None:
            return self.base_ref
        assert self.store is not None
        return self.store.ref

    @property
    def history(self) -> TableRef | None:
        if self.store is not None and (self.base is not None or self.base_ref is not None):
            return self.store.ref
        return self.store_ref

    @property
    def declared_columns(self) -> tuple[str, ...]:
        return self.config.unrecorded


class Drift(Struct, frozen=True):
    """A finding as comparators produce it, with the remedy --suggest turns into DDL."""

    kind: str
    severity: Severity
    message: str
    column: str | None = None
    remedy: Remedy | None = None
    target: TableRef | None = None  # the table the finding is about (the one a fix would change)


class CheckContext(Struct):
    """What comparators may consult besides the subject."""

    dialect: Dialect
    config_file: str = "chrono.toml"
    notes: list[str] = field(default_factory=list)

    def section(self, table: str) -> str:
        """The config section that declares things about ``table``, as the config file spells it."""
        prefix = "tool.chrono." if self.config_file == "pyproject.toml" else ""
        return f"[{prefix}tables.{table}]"

    def type_name(self, t: TypeEngine[Any]) -> str:
        """A type as the connected database spells it, lower case."""
        try:
            return str(t.compile(dialect=self.dialect)).lower()
        except Exception:  # noqa: BLE001 - a type the dialect cannot compile still needs a name
            return type(t).__name__.lower()

    def native(self, t: TypeEngine[Any]) -> TypeEngine[Any]:
        """A generic type as the libraries create it on this dialect (JSON is JSONB on PostgreSQL)."""
        return native(t, self.dialect.name)


Comparator = Callable[[Subject, CheckContext], Iterable[Drift]]

# How a type fit is reported: (kind, severity), None when there is nothing to say.
FIT_FINDINGS: dict[Fit, tuple[str, Severity] | None] = {
    Fit.SAME: None,
    Fit.WIDER: ("type-widened", Severity.INFO),
    Fit.LOOSER: ("type-mismatch", Severity.INFO),
    Fit.AS_TEXT: ("type-mismatch", Severity.WARNING),
    Fit.TIMEZONE: ("type-mismatch", Severity.WARNING),
    Fit.UNKNOWN: ("type-mismatch", Severity.WARNING),
    Fit.NARROWER: ("type-narrowed", Severity.ERROR),
    Fit.OTHER: ("type-mismatch", Severity.ERROR),
}


def native(t: TypeEngine[Any], dialect: str) -> TypeEngine[Any]:
    """A generic type as the libraries create it on ``dialect`` (JSON is JSONB on PostgreSQL)."""
    if dialect == "postgresql" and type(t) is sqltypes.JSON:
        from sqlalchemy.dialects.postgresql import JSONB

        return JSONB()
    return t
