"""supabase ``supa_audit``: ``audit.record_version`` with the whole new row in ``record`` and the whole old row
in ``old_record`` (``to_jsonb(row)``), ``op`` INSERT/UPDATE/DELETE/TRUNCATE, ``ts`` (transaction start), and
the table by ``table_oid``/``table_schema``/``table_name``. Triggers from ``audit.enable_tracking(regclass)``:
``audit_i_u_d`` (row level, calling ``audit.insert_update_delete_trigger()``) and ``audit_t`` (TRUNCATE).

Every UPDATE writes a row, no-op updates included (a version with no change). A record's rows are found by its
key values in ``record``/``old_record`` (the record_id uuid embeds the table's OID, which a dump and restore
changes). No transaction id is stored: change sets are inferred. ``auth_uid`` (inside Supabase) is the actor.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Table, and_, or_, select
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.base import Detection, ReadContext
from chrono_cli.conventions.checkspec import CheckSpec, MetaColumn, StoreKind, Subject
from chrono_cli.conventions.remedy import CallTableFunction, Remedy
from chrono_cli.conventions.rows import as_utc
from chrono_cli.conventions.shapes.common import as_json
from chrono_cli.conventions.shapes.trigger_log import LogEntry, LogStore, TriggerLogAdapter
from chrono_cli.conventions.shapes.trigger_log_write import TriggerLogWriter, trigger_comparator
from chrono_cli.conventions.types import col_is, is_json
from chrono_cli.conventions.writes.base import WriteContext
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.db.triggers import TriggerInfo
from chrono_cli.model import Op, RowKey

STORE = "record_version"
FUNCTION = "insert_update_delete_trigger"
OPS = {"INSERT": Op.INSERT, "UPDATE": Op.UPDATE, "DELETE": Op.DELETE}


def is_store(t: TableInfo) -> bool:
    """supa_audit's ``record_version`` (by columns and types)."""
    return (t.has("record_id", "old_record_id", "op", "record", "old_record", "table_oid", "table_name", "ts")
            and col_is(t, "record", is_json) and col_is(t, "old_record", is_json))


def audit_triggers(base: TableInfo) -> list[TriggerInfo]:
    """The row triggers on ``base`` calling ``audit.insert_update_delete_trigger()``."""
    return [t for t in base.triggers if t.function == FUNCTION]


def _json_key(column: Any, key: RowKey) -> ColumnElement[bool]:
    return and_(*(column[name].astext == str(value) for name, value in key.items))


def _enable_tracking(subject: Subject) -> Remedy | None:
    assert subject.base is not None and subject.store is not None
    return CallTableFunction(subject.base.ref, "enable_tracking", subject.store.ref.schema)


CHECK = CheckSpec(
    StoreKind.SHARED, comparators=(trigger_comparator(audit_triggers, f"audit.{FUNCTION}", _enable_tracking),),
    store_meta=(MetaColumn("id", sqltypes.BigInteger(), nullable=False), MetaColumn("record", JSONB()),
                MetaColumn("old_record", JSONB()), MetaColumn("ts", sqltypes.DateTime(timezone=True), nullable=False)),
    lone_store=lambda t: t.ref.name == STORE and is_store(t))


class SupaAuditAdapter(TriggerLogAdapter):
    """supabase supa_audit's ``audit.record_version``."""

    name = "supa-audit"
    title = "supabase supa_audit (audit.record_version)"
    singleton_stores = (STORE,)
    table_column = "table_name"
    time_column = "ts"
    function = FUNCTION
    check = CHECK

    def stores(self, snapshot: SchemaSnapshot) -> Iterator[LogStore]:
        for t in snapshot:
            if t.ref.name == STORE and is_store(t):
                yield LogStore(t, (f"{t.ref} has record_id, old_record_id, op, record and old_record JSONB, "
                                   "table_oid",))

    def log_rows(self, ctx: ReadContext, det: Detection) -> Select[Any]:
        store = ctx.info(det.store).table()
        query = select(store).where(store.c.table_name == det.live.name)
        schema = det.live.schema or ctx.snapshot.default_schema
        return query.where(store.c.table_schema == schema) if schema else query

    def record_filter(self, store: Table, key: RowKey) -> ColumnElement[bool]:
        return or_(_json_key(store.c.record, key), _json_key(store.c.old_record, key))

    def entry(self, row: Mapping[Any, Any]) -> LogEntry:
        actor = row.get("auth_uid")
        return LogEntry(OPS.get(str(row["op"]).upper(), Op.UNKNOWN), as_json(row["old_record"]) or {},
                        as_json(row["record"]) or {}, as_utc(row["ts"]), row["id"],
                        None if actor is None else str(actor))


class SupaAuditWriter(TriggerLogWriter):
    """Base-table writes; ``audit_i_u_d`` writes the record_version row."""

    log_name = STORE

    def triggers(self, info: TableInfo) -> list[TriggerInfo]:
        return audit_triggers(info)

    def fix_hint(self, ctx: WriteContext) -> str:
        return f"SELECT {ctx.det.store.schema or 'audit'}.enable_tracking('{ctx.det.live}'::regclass), then retry"

    def store_where(self, ctx: WriteContext, key: RowKey) -> ColumnElement[bool] | None:
        store = ctx.store
        return and_(store.c.table_name == ctx.det.live.name,
                    or_(_json_key(store.c.record, key), _json_key(store.c.old_record, key)))

    def deleted_log_keys(self, ctx: WriteContext) -> Select[Any]:
        store = ctx.store
        return select(*(store.c.old_record[n].astext for n in ctx.det.key)).where(
            store.c.table_name == ctx.det.live.name, store.c.op == "DELETE")

