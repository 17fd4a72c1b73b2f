"""postgresql-audit: detection and reading of ``activity`` rows (the state after a change = old_data ||
changed_data, the library's ``Activity.data``), grouped by ``native_transaction_id``.

Inserts carry the whole new row in ``changed_data``; updates the whole old row in ``old_data`` and only the
changed keys in ``changed_data``; deletes the old row. Columns excluded from auditing never appear: they are
not recorded. States are built by the trigger-log engine (shapes/trigger_log.py). The version number is the
transaction (``native_transaction_id``): two updates of one row in one transaction are two versions with one
number, told apart by position.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import String, Table, cast, select
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.base import Degradation, Detection, ReadContext
from chrono_cli.conventions.builtin.postgresql_audit.check import CHECK
from chrono_cli.conventions.builtin.postgresql_audit.store import (
    ACTIVITY,
    FUNCTION,
    NAME,
    AuditOptions,
    audit_triggers,
    excluded,
    key_match,
    stores,
)
from chrono_cli.conventions.rows import as_utc
from chrono_cli.conventions.shapes.common import as_json
from chrono_cli.conventions.shapes.trigger_log import LogEntry, TriggerLogAdapter
from chrono_cli.conventions.shapes.trigger_log_write import unaudited
from chrono_cli.db.reflect import SchemaSnapshot
from chrono_cli.model import Op, RowKey

VERBS = {"insert": Op.INSERT, "update": Op.UPDATE, "delete": Op.DELETE}


def xid(value: Any) -> int | None:
    """A ``native_transaction_id`` (xid8 arrives as text) as an integer."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class PostgresqlAuditAdapter(TriggerLogAdapter):
    """postgresql-audit's trigger-written ``activity`` log."""

    name = NAME
    title = "postgresql-audit (activity + transaction)"
    singleton_stores = (ACTIVITY,)
    table_column = "table_name"
    check = CHECK

    def detect(self, snapshot: SchemaSnapshot) -> Iterator[Detection]:
        for activity, tx in stores(snapshot):
            for base in snapshot:
                if base is activity or base is tx or not base.pk:
                    continue
                triggers = audit_triggers(base)
                schema = triggers[0].function_schema if triggers else activity.ref.schema
                degraded = tuple(Degradation(f"no enabled audit trigger records {e.lower()}s on {base.ref.name}: "
                                             "such a write would leave no activity") for e in unaudited(triggers))
                evidence = (f"{activity.ref} has verb, old_data and changed_data JSONB, native_transaction_id",
                            f"{tx.ref} has native_transaction_id (postgresql-audit's, not Continuum's)")
                if triggers:
                    names = ", ".join(f"{t.name}{'' if t.enabled else ' (disabled)'}" for t in triggers)
                    evidence += (f"{base.ref.name} has audit trigger(s) calling {FUNCTION}(): {names}",)
                else:
                    evidence += (f"{activity.ref} holds rows with table_name = '{base.ref.name}'",)
                yield Detection(self.name, base.ref, activity.ref, base.pk, time_col="issued_at", score=4,
                                confirm=not triggers, degraded=degraded if triggers else (), evidence=evidence,
                                options=AuditOptions(tx.ref, schema))

    def log_rows(self, ctx: ReadContext, det: Detection) -> Select[Any]:
        store = ctx.info(det.store).table()
        tx = ctx.info(det.opts(AuditOptions).transaction).table()
        actor = tx.c["actor_id"] if "actor_id" in tx.c else None
        query = select(store, *([actor.label("chrono_actor")] if actor is not None else [])).select_from(
            store.outerjoin(tx, store.c.transaction_id == tx.c.id) if "transaction_id" in store.c else store)
        query = query.where(store.c.table_name == det.live.name)
        schema = det.live.schema or ctx.snapshot.default_schema
        if schema and "schema_name" in store.c:
            query = query.where(store.c.schema_name == schema)
        return query

    def record_filter(self, store: Table, key: RowKey) -> ColumnElement[bool]:
        return key_match(store, key)

    def entry(self, row: Mapping[str, Any]) -> LogEntry:
        actor = row.get("chrono_actor")
        number = xid(row["native_transaction_id"])
        return LogEntry(VERBS.get(str(row["verb"]).lower(), Op.UNKNOWN), as_json(row["old_data"]) or {},
                        as_json(row["changed_data"]) or {}, as_utc(row["issued_at"]), number,
                        None if actor is None else str(actor), number)

    def excluded(self, ctx: ReadContext, det: Detection) -> tuple[str, ...]:
        return excluded(ctx.info(det.live))

    def group_filter(self, store: Table, group: Any) -> ColumnElement[bool] | None:
        number = xid(group)
        return None if number is None else cast(store.c.native_transaction_id, String) == str(number)
