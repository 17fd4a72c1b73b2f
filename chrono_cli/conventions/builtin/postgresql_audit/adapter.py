"""postgresql-audit: detection and reading of ``activity`` rows (the state after a change = old_data ||
changed_data, the library's ``Activity.data``), grouped by ``native_transaction_id``.

Inserts carry the whole new row in ``changed_data``; updates the whole old row in ``old_data`` and only the
changed keys in ``changed_data``; deletes the old row. Columns excluded from auditing never appear: they are
not recorded. States are built by the trigger-log engine (shapes/trigger_log.py). The version number is the
transaction (``native_transaction_id``): two updates of one row in one transaction are two versions with one
number, told apart by position.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from sqlalchemy import String, Table, case, cast, func, select
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FromClause

from chrono_cli.conventions.base import Detection, Options, ReadContext
from chrono_cli.conventions.builtin.postgresql_audit import related
from chrono_cli.conventions.builtin.postgresql_audit.check import CHECK
from chrono_cli.conventions.builtin.postgresql_audit.store import (
    ACTIVITY,
    FUNCTION,
    NAME,
    AuditOptions,
    excluded,
    key_match,
    stores,
)
from chrono_cli.conventions.rows import as_utc
from chrono_cli.conventions.shapes.common import as_json
from chrono_cli.conventions.shapes.trigger_log import LogEntry, LogStore, TriggerLogAdapter
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.db.triggers import TriggerInfo
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
    function = FUNCTION

    def related(self, name: str, all_names: Collection[str]) -> set[str]:
        return related(name, all_names)

    def stores(self, snapshot: SchemaSnapshot) -> Iterator[LogStore]:
        for activity, tx in stores(snapshot):
            yield LogStore(activity, (f"{activity.ref} has verb, old_data and changed_data JSONB, "
                                      "native_transaction_id",
                                      f"{tx.ref} has native_transaction_id (postgresql-audit's, not Continuum's)"),
                           (tx.ref,), AuditOptions(tx.ref, activity.ref.schema))

    def options(self, store: LogStore, base: TableInfo, triggers: list[TriggerInfo]) -> Options:
        found = store.options
        assert isinstance(found, AuditOptions)
        return AuditOptions(found.transaction, triggers[0].function_schema) if triggers else found

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

    def entry(self, row: Mapping[Any, Any]) -> LogEntry:
        actor = row.get("chrono_actor")
        number = xid(row["native_transaction_id"])
        return LogEntry(VERBS.get(str(row["verb"]).lower(), Op.UNKNOWN), as_json(row["old_data"]) or {},
                        as_json(row["changed_data"]) or {}, as_utc(row["issued_at"]), number,
                        None if actor is None else str(actor), number)

    def excluded(self, ctx: ReadContext, det: Detection) -> tuple[str, ...]:
        return excluded(ctx.info(det.live))

    def documents(self, store: FromClause) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
        """``old_data`` is the old row but of an insert (``{}``); the new row is ``old_data || changed_data``."""
        old, changed = store.c.old_data, store.c.changed_data
        new = case((old.is_(None), changed), (changed.is_(None), old),
                   else_=old.op("||", return_type=old.type)(changed))
        return case((func.lower(store.c.verb) != "insert", old)), new

    def op_is(self, store: FromClause, op: Op) -> ColumnElement[bool]:
        return func.lower(store.c.verb) == next(v for v, o in VERBS.items() if o is op)

    def group_filter(self, store: Table, group: Any) -> ColumnElement[bool] | None:
        number = xid(group)
        return None if number is None else cast(store.c.native_transaction_id, String) == str(number)
