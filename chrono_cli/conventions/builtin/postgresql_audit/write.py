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

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.builtin.postgresql_audit.store import (
    ACTIVITY,
    TRANSACTION,
    AuditOptions,
    key_match,
    unaudited,
)
from chrono_cli.conventions.rows import key_where
from chrono_cli.conventions.types import is_integer
from chrono_cli.conventions.writes.base import Step, WriteContext, Writer, WriteSet
from chrono_cli.conventions.writes.values import insert_table
from chrono_cli.errors import Refused, UsageError
from chrono_cli.model import FieldChange, RowKey, Timeline

UNIQUE_TX = "transaction_unique_native_tx_id"


def audited(ctx: WriteContext, event: str) -> str:
    """Refuse when no enabled audit trigger records ``event`` on the table; else the plan's note."""
    if event in unaudited(ctx.live_info):
        raise Refused(f"{ctx.det.live} has no enabled postgresql-audit trigger for {event}: the write would leave no "
                      f"row in {ACTIVITY}", hint=f"re-create the triggers (SELECT audit_table('{ctx.det.live.name}')) "
                                                 "or enable them, then retry")
    return (f"the table's audit triggers write the {ACTIVITY} row (old_data / changed_data); chrono writes no "
            f"{ACTIVITY} row itself")


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
    tx = insert_table(tx_info)
    statement = pg_insert(tx).values(native_transaction_id=func.pg_current_xact_id(),
                                     issued_at=func.timezone("UTC", func.now()), actor_id=value) \
        .on_conflict_do_nothing(constraint=UNIQUE_TX)
    out.steps.append(Step(statement, f"{TRANSACTION}: this transaction's actor (before the write, as the library)"))


class PostgresqlAuditWriter(Writer):
    """Base-table writes under the library's transaction row; the audit triggers write the activity."""

    def bookkeeping(self, det: Any) -> frozenset[str]:
        return frozenset()

    def store_where(self, ctx: WriteContext, key: RowKey) -> ColumnElement[bool] | None:
        return key_match(ctx.store, key) & (ctx.store.c.table_name == ctx.det.live.name)

    def lock(self, ctx: WriteContext, key: RowKey) -> None:
        """Lock the live row only: the log is appended to by the triggers, never rewritten."""
        live = ctx.live
        ctx.conn.execute(select(*live.primary_key.columns).where(key_where(live, key)).with_for_update())

    def update(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any], new: Mapping[str, Any],
               changes: Sequence[FieldChange], timeline: Timeline | None) -> WriteSet:
        out = WriteSet(notes=[audited(ctx, "UPDATE")])
        transaction(ctx, out)
        values = {c.column: new[c.column] for c in changes}
        out.steps.append(Step(update(ctx.live).where(key_where(ctx.live, key)).values(values),
                              "live row (its audit trigger writes the activity)", expect=1))
        return out

    def insert(self, ctx: WriteContext, key: RowKey, new: Mapping[str, Any], timeline: Timeline) -> WriteSet:
        out = WriteSet(notes=[audited(ctx, "INSERT")])
        transaction(ctx, out)
        out.steps.append(Step(pg_insert(insert_table(ctx.live_info)).values(dict(new)),
                              "live row re-created (its audit trigger writes the activity)"))
        return out

    def delete(self, ctx: WriteContext, key: RowKey, current: Mapping[str, Any],
               timeline: Timeline | None) -> WriteSet:
        out = WriteSet(notes=[audited(ctx, "DELETE")])
        transaction(ctx, out)
        out.steps.append(Step(delete(ctx.live).where(key_where(ctx.live, key)),
                              "live row deleted (its audit trigger writes the activity)", expect=1))
        return out

    def deleted_keys(self, ctx: WriteContext, limit: int | None = None) -> list[RowKey]:
        store, live = ctx.store, ctx.live
        names = list(ctx.det.key)
        columns = ctx.live_info.columns
        query = select(*(store.c.old_data[n].astext for n in names)).where(
            store.c.table_name == ctx.det.live.name, store.c.verb == "delete").distinct()
        from chrono_cli.conventions.decode import Undecodable, decode

        found: list[RowKey] = []
        for row in ctx.conn.execute(query):
            try:
                key = RowKey(tuple((n, decode(v, columns[n].type, None)) for n, v in zip(names, row, strict=True)))
            except Undecodable:
                continue
            if ctx.conn.execute(select(live.c[names[0]]).where(key_where(live, key))).first() is None:
                found.append(key)
        found.sort(key=lambda k: tuple(str(v) for _, v in k.items))
        return found[:limit] if limit is not None else found
