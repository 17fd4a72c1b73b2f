"""What would repair a check-migrations finding, as plain data; ``services.check.suggest`` turns it into DDL and
alembic ``op`` lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.types import TypeEngine

from chrono_cli.db.reflect import TableInfo
from chrono_cli.model import TableRef
from chrono_cli.records import Struct

if TYPE_CHECKING:
    from chrono_cli.conventions.checkspec import MetaColumn


class AddColumn(Struct, frozen=True):
    """Add a column to ``table``."""

    table: TableRef
    name: str
    type: TypeEngine[Any]
    nullable: bool = True
    server_default: str | None = None


class AlterColumn(Struct, frozen=True):
    """Change a column's type and/or nullability."""

    table: TableRef
    name: str
    existing_type: TypeEngine[Any]
    existing_nullable: bool
    type: TypeEngine[Any] | None = None
    nullable: bool | None = None


class DropUnique(Struct, frozen=True):
    """Drop a unique constraint, or turn a unique index into a plain one."""

    table: TableRef
    name: str | None
    columns: tuple[str, ...]


class SetPrimaryKey(Struct, frozen=True):
    """Replace the primary key of ``table``."""

    table: TableRef
    columns: tuple[str, ...]


class CreateHistory(Struct, frozen=True):
    """Create the history table a convention expects for ``base``."""

    base: TableInfo
    store: TableRef
    convention: str
    skip: tuple[str, ...] = ()
    meta: tuple[MetaColumn, ...] = ()  # the columns the convention writes itself


class DropForeignKey(Struct, frozen=True):
    """Drop a foreign key constraint from ``table``."""

    table: TableRef
    name: str | None
    columns: tuple[str, ...]


class EnableTrigger(Struct, frozen=True):
    """Re-enable a disabled trigger on ``table`` (PostgreSQL)."""

    table: TableRef
    trigger: str


class CreateTrigger(Struct, frozen=True):
    """Create a row trigger on ``table`` running ``function(args)`` (PostgreSQL)."""

    table: TableRef
    name: str
    timing: str                    # BEFORE | AFTER
    events: tuple[str, ...]        # INSERT, UPDATE, DELETE
    function: str
    args: tuple[str, ...] = ()


class SyncTrigger(Struct, frozen=True):
    """Regenerate a native versioning trigger with the library's own ``sync_trigger``."""

    table: TableRef
    version_table: TableRef
    module: str  # where the library's ``sync_trigger(connection, table_name)`` lives


class VersionColumn(Struct, frozen=True):
    """Put a column declared WITHOUT SYSTEM VERSIONING back under system versioning (MariaDB)."""

    table: TableRef
    name: str


class CallTableFunction(Struct, frozen=True):
    """Run a library's own set-up function on ``table`` (``SELECT audit_table('t')``: it recreates the triggers)."""

    table: TableRef
    function: str
    schema: str | None = None  # the function's schema


class AddVersioning(Struct, frozen=True):
    """Put system versioning back on a table that lost it (MariaDB ``ADD SYSTEM VERSIONING``)."""

    table: TableRef


Remedy = AddColumn | AlterColumn | DropUnique | SetPrimaryKey | CreateHistory | DropForeignKey | EnableTrigger \
    | SyncTrigger | VersionColumn | CreateTrigger | CallTableFunction | AddVersioning


def target(remedy: Remedy) -> TableRef:
    """The table a remedy changes."""
    if isinstance(remedy, CreateHistory):
        return remedy.store
    return remedy.table
