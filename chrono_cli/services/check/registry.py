"""The comparator registry: what check-migrations compares, per rule a convention opts into, in a visible order."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine

from chrono_cli.config import TableConfig
from chrono_cli.conventions.base import NO_OPTIONS, Options
from chrono_cli.conventions.checkspec import CheckSpec, Rule
from chrono_cli.db.reflect import TableInfo
from chrono_cli.model import Severity, TableRef
from chrono_cli.services.check.remedy import Remedy

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


@dataclass(frozen=True, slots=True)
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
    options: Options = field(default=NO_OPTIONS, hash=False, compare=False)  # the detection's options

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


@dataclass(frozen=True, slots=True)
class Drift:
    """A finding as comparators produce it, with the remedy --suggest turns into DDL."""

    kind: str
    severity: Severity
    message: str
    column: str | None = None
    remedy: Remedy | None = None
    target: TableRef | None = None  # the table the finding is about (the one a fix would change)


@dataclass(slots=True)
class CheckContext:
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
        from chrono_cli.services.check.expect import native

        return native(t, self.dialect.name)


Comparator = Callable[[Subject, CheckContext], Iterable[Drift]]
_COMPARATORS: list[tuple[frozenset[Rule], Comparator]] = []


def comparator(*rules: Rule) -> Callable[[Comparator], Comparator]:
    """Register a comparator for conventions that opt into one of ``rules`` (none: every convention)."""

    def register(fn: Comparator) -> Comparator:
        _COMPARATORS.append((frozenset(rules), fn))
        return fn

    return register


def comparators_for(spec: CheckSpec) -> list[Comparator]:
    """The registered comparators that apply to a convention's check spec, in registration order."""
    return [fn for rules, fn in _COMPARATORS if not rules or rules & spec.rules]
