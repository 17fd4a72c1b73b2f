"""postgresql-audit writes: what the library's own session does, then an ordinary base-table write.

The library's ``before_flush`` inserts the ``transaction`` row of the current database transaction when it has
an actor or a client address (``INSERT ... ON CONFLICT ON CONSTRAINT transaction_unique_native_tx_id DO
NOTHING`` with ``pg_current_xact_id()`` and ``now() AT TIME ZONE 'UTC'``), before the DML; the audit triggers
then find it at statement time and write the ``activity`` rows with its id. chrono does the same with the
``--actor`` given (the client address is left NULL: chrono is no HTTP request), and without one writes no
transaction row, as the library does outside a request (the activity's transaction_id stays NULL). chrono
never writes ``activity`` itself (that would double-log) and never turns versioning off. A table whose audit
trigger for the operation is missing or disabled is refused: the write would leave no trace.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.builtin.postgresql_audit.store import (
    ACTIVITY,
    TRANSACTION,
    AuditOptions,
    audit_triggers,
    key_match,
)
from chrono_cli.conventions.shapes.trigger_log_write import TriggerLogWriter
from chrono_cli.conventions.types import is_integer
from chrono_cli.conventions.writes.base import Step, WriteContext, WriteSet
from chrono_cli.db.reflect import TableInfo
from chrono_cli.db.triggers import TriggerInfo
from chrono_cli.errors import Refused, UsageError
from chrono_cli.model import RowKey

UNIQUE_TX = "transaction_unique_native_tx_id"


def transaction(ctx: WriteContext, out: WriteSet) -> None:
    """The library's transaction row, before the DML, once per write (only with an actor, as the library)."""
    actor = ctx.meta.actor
    if ctx.meta.reason:
        out.notes.append("postgresql-audit has no place for a reason: --reason is not recorded")
    if actor is None:
        out.notes.append(f"no --actor: no {TRANSACTION} row is written, so the new activity's transaction_id stays "
                         "NULL (what the library writes outside a request)")
        return
    if not ctx.shared.once("postgresql-audit", TRANSACTION):
        return
    tx_info = ctx.snapshot.tables[ctx.det.opts(AuditOptions).transaction]
    column = tx_info.columns.get("actor_id")
    if column is None:
        raise Refused(f"{tx_info.ref} has no actor_id column: the actor cannot be recorded",
                      hint="leave out --actor (the library adds actor_id when its mappers are configured)")
    value: Any = actor
    if is_integer(column.type):
        try:
            value = int(actor)
        except ValueError:
            raise UsageError(f"--actor {actor!r}: {tx_info.ref}.actor_id holds the actor's integer id",
                             hint="pass the user's id") from None
    tx = tx_info.insert_table()
    statement = pg_insert(tx).values(native_transaction_id=func.pg_current_xact_id(),
                                     issued_at=func.timezone("UTC", func.now()), actor_id=value) \
        .on_conflict_do_nothing(constraint=UNIQUE_TX)
    out.steps.append(Step(statement, f"{TRANSACTION}: this transaction's actor (before the write, as the library)"))


class PostgresqlAuditWriter(TriggerLogWriter):
    """Base-table writes under the library's transaction row; the audit triggers write the activity."""

    log_name = ACTIVITY

    def triggers(self, info: TableInfo) -> list[TriggerInfo]:
        return audit_triggers(info)

    def fix_hint(self, ctx: WriteContext) -> str:
        return f"re-create the triggers (SELECT audit_table('{ctx.det.live.name}')) or enable them, then retry"

    def before(self, ctx: WriteContext, out: WriteSet) -> None:
        transaction(ctx, out)

    def store_where(self, ctx: WriteContext, key: RowKey) -> ColumnElement[bool] | None:
        return key_match(ctx.store, key) & (ctx.store.c.table_name == ctx.det.live.name)

    def deleted_log_keys(self, ctx: WriteContext) -> Select[Any]:
        store = ctx.store
        return select(*(store.c.old_data[n].astext for n in ctx.det.key)).where(
            store.c.table_name == ctx.det.live.name, store.c.verb == "delete")
