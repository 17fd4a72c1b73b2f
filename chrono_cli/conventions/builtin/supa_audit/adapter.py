"""supabase ``supa_audit``: ``audit.record_version`` with the whole new row in ``record`` and the whole old row
in ``old_record`` (``to_jsonb(row)``), ``op`` INSERT/UPDATE/DELETE/TRUNCATE, ``ts`` (transaction start), and
the table by ``table_oid``/``table_schema``/``table_name``. Triggers from ``audit.enable_tracking(regclass)``:
``audit_i_u_d`` (row level, calling ``audit.insert_update_delete_trigger()``) and ``audit_t`` (TRUNCATE).

Every UPDATE writes a row, no-op updates included (a version with no change). A record's rows are found by the
indexed ``record_id``/``old_record_id`` uuid the extension computes from the table's OID and the key, and by the
key values in ``record``/``old_record`` when that finds none (a dump and restore changes the OID). An UPDATE that
changes the key has ``old_record_id`` <> ``record_id``: the two keys' timelines are linked. ``audit_t`` logs a
TRUNCATE as one row without data: a deletion of every row then. No transaction id is stored: change sets are
inferred. ``auth_uid`` (inside Supabase) is the actor.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, and_, bindparam, cast, func, or_, select, union
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects.postgresql import JSONB, OID, REGCLASS
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.expression import FromClause

from chrono_cli.conventions.base import Detection, ReadContext
from chrono_cli.conventions.checkspec import CheckSpec, MetaColumn, StoreKind, Subject
from chrono_cli.conventions.remedy import CallTableFunction, Remedy
from chrono_cli.conventions.rows import as_utc
from chrono_cli.conventions.shapes.common import as_json
from chrono_cli.conventions.shapes.trigger_log import LogEntry, LogStore, TriggerLogAdapter
from chrono_cli.conventions.shapes.trigger_log_bulk import TriggerLogBulk
from chrono_cli.conventions.shapes.trigger_log_write import TriggerLogWriter, trigger_comparator
from chrono_cli.conventions.types import col_is, is_json
from chrono_cli.conventions.writes.base import WriteContext
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.db.triggers import TriggerInfo
from chrono_cli.model import Op, RowKey

STORE = "record_version"
FUNCTION = "insert_update_delete_trigger"
OPS = {"INSERT": Op.INSERT, "UPDATE": Op.UPDATE, "DELETE": Op.DELETE}
NAMESPACE = uuid.UUID("fd62bc3d-8d6e-43c2-919c-802ba3762271")  # supa_audit's to_record_id


def is_store(t: TableInfo) -> bool:
    """supa_audit's ``record_version`` (by columns and types)."""
    return (t.has("record_id", "old_record_id", "op", "record", "old_record", "table_oid", "table_name", "ts")
            and col_is(t, "record", is_json) and col_is(t, "old_record", is_json))


def audit_triggers(base: TableInfo) -> list[TriggerInfo]:
    """The row triggers on ``base`` calling ``audit.insert_update_delete_trigger()``."""
    return [t for t in base.triggers if t.function == FUNCTION]


def record_id(ctx: ReadContext, det: Detection, key: RowKey) -> uuid.UUID:
    """supa_audit's ``record_id`` of ``key``: uuid v5 of ``jsonb_build_array(to_jsonb(table_oid)) || jsonb_agg(rec
    ->> pk_col)`` as text, the name built by the server (its JSON text of each value) and hashed here."""
    info = ctx.info(det.live)
    table = str(info.ref) if info.ref.schema else info.ref.name
    oid = cast(cast(bindparam("table", table, type_=sqltypes.Text()), REGCLASS), OID)
    values = [func.jsonb_build_array(cast(bindparam(f"k{i}", v, type_=info.columns[n].type), info.columns[n].type))
              .op("->>")(0) for i, (n, v) in enumerate(key.items)]  # the value's JSON text, as ``rec ->> col``
    name = ctx.conn.execute(select(cast(func.jsonb_build_array(func.to_jsonb(oid)).op("||")(
        func.jsonb_build_array(*values)), sqltypes.Text()))).scalar_one()
    return uuid.uuid5(NAMESPACE, str(name))


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

    def record_filters(self, ctx: ReadContext, det: Detection, store: Table, key: RowKey) -> list[ColumnElement[bool]]:
        """By the indexed ``record_id`` / ``old_record_id`` the extension computes; by the JSON values when that
        finds nothing (the id embeds the table's OID, which a dump and restore changes)."""
        rid = record_id(ctx, det, key)
        return [or_(store.c.record_id == rid, store.c.old_record_id == rid), self.record_filter(store, key)]

    def truncates(self, ctx: ReadContext, det: Detection) -> Select[Any] | None:
        store = ctx.info(det.store).table()
        return self.log_rows(ctx, det).where(store.c.op == "TRUNCATE")

    def documents(self, store: FromClause) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
        return store.c.old_record, store.c.record

    def op_is(self, store: FromClause, op: Op) -> ColumnElement[bool]:
        return store.c.op == op.name

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
        """Keys of DELETE rows, and of every row logged before the last TRUNCATE (``audit_t``)."""
        store = ctx.store
        named = store.c.table_name == ctx.det.live.name
        deleted = select(*(store.c.old_record[n].astext.label(f"k{i}") for i, n in enumerate(ctx.det.key))).where(
            named, store.c.op == "DELETE")
        cut = select(func.max(store.c.id)).where(named, store.c.op == "TRUNCATE").scalar_subquery()
        truncated = select(*(store.c.record[n].astext.label(f"k{i}") for i, n in enumerate(ctx.det.key))).where(
            named, store.c.id < cut, store.c.record.is_not(None))
        both = union(deleted, truncated).subquery()
        return select(*both.c)



class SupaAuditBulk(TriggerLogBulk):
    """supa_audit: the state a row left is ``record``; ``audit_t`` logs TRUNCATE rows."""

    schema_column = "table_schema"
    time_column = "ts"

    def key_after(self, ctx: WriteContext, name: str) -> ColumnElement[Any]:
        return func.coalesce(ctx.store.c.record[name].astext, ctx.store.c.old_record[name].astext)

    def key_before(self, ctx: WriteContext, name: str) -> ColumnElement[Any]:
        key: ColumnElement[Any] = ctx.store.c.old_record[name].astext
        return key

    def state(self, ctx: WriteContext, row: Mapping[str, Any]) -> tuple[Op, dict[str, Any]]:
        return OPS.get(str(row["op"]).upper(), Op.UNKNOWN), dict(as_json(row["record"]) or {})

    def truncated(self, ctx: WriteContext) -> ColumnElement[bool] | None:
        return ctx.store.c.op == "TRUNCATE"

    def one_record(self, rows: Sequence[Mapping[Any, Any]]) -> bool:
        """A read finds a record's rows by the record id first: these rows are all it finds when they share one
        (the current table OID's, or another, which finds none and falls back to the key values)."""
        return len({i for r in rows for i in (r["record_id"], r["old_record_id"]) if i is not None}) <= 1
