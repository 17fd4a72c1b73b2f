"""A Continuum version table's layout (bookkeeping columns, ``_mod`` flags) and the typed options of its
detection, shared by its reader, change listing, writers and check-migrations comparators."""

from __future__ import annotations

from collections.abc import Mapping

from chrono_cli.conventions.base import Options
from chrono_cli.conventions.types import is_boolean
from chrono_cli.db.reflect import TableInfo
from chrono_cli.model import TableRef
from chrono_cli.records import Struct, field

TX_COL, END_COL, OP_COL = "transaction_id", "end_transaction_id", "operation_type"
INTERNAL = frozenset({TX_COL, END_COL, OP_COL})


def mod_columns(v: TableInfo) -> dict[str, str]:
    """PropertyModTracker flags: data column -> its boolean ``<col>_mod`` column."""
    return {c[: -len("_mod")]: c for c, info in v.columns.items()
            if c.endswith("_mod") and c[: -len("_mod")] in v.columns and is_boolean(info.type)}


def data_columns(v: TableInfo) -> list[str]:
    """The version table's copies of base columns (no bookkeeping, no ``_mod`` flags)."""
    mods = set(mod_columns(v).values())
    return [c for c in v.columns if c not in INTERNAL and c not in mods]


class Association(Struct, frozen=True):
    """A versioned association table, shown on the parent as a pseudo-column of sorted member ids."""

    name: str
    table: str
    version_table: str
    parent_columns: Mapping[str, str]  # association column -> parent key column
    member_columns: tuple[str, ...]


class Ancestor(Struct, frozen=True):
    """A versioned ancestor of a joined-inheritance child."""

    table: str
    version_table: str
    key: Mapping[str, str]  # the child's key column -> the ancestor's column
    columns: tuple[str, ...]  # the ancestor's versioned non-key columns, in table order


class NativeTriggers(Struct, frozen=True):
    """The triggers of native versioning (PostgreSQL)."""

    table: str
    function: str
    transaction: str | None


class ContinuumOptions(Options, frozen=True):
    """What detection learnt about one Continuum version table."""

    transaction_table: str
    transaction_column: str = TX_COL
    end_transaction_column: str | None = None
    operation_type_column: str = OP_COL
    strategy: str = "subquery"  # "validity" when end_transaction_id exists
    versioned_columns: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    dropped_columns: tuple[str, ...] = ()
    mod_columns: Mapping[str, str] = field(default_factory=dict)  # data column -> its ``_mod`` flag
    user_column: str | None = None
    user_table: str | None = None
    actor: str | None = None
    remote_addr_column: str | None = None
    transaction_changes: str | None = None
    transaction_meta: str | None = None
    entity_name_guess: str | None = None
    sequence: str = "transaction_id_seq"
    associations: tuple[Association, ...] = ()
    inherits: tuple[Ancestor, ...] = ()
    children: tuple[str, ...] = ()
    extends: TableRef | None = None  # the table the key refers to when reflection left it out
    native: bool = False
    native_enabled: bool = True
    triggers: NativeTriggers | None = None
    schema_native: bool = False  # some table of this schema uses native versioning

    def ancestors(self) -> tuple[str, ...]:
        return tuple(up.table for up in self.inherits)
