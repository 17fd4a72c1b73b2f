"""The 2ndQuadrant audit trigger (``audit.logged_actions``, the most copied hand-installed audit trigger).

``audit.audit_table(t[, audit_rows, audit_query_text, ignored_cols])`` creates ``audit_trigger_row`` (AFTER
INSERT/UPDATE/DELETE FOR EACH ROW) and ``audit_trigger_stm`` (TRUNCATE), both calling
``audit.if_modified_func()``. Rows: I → ``row_data`` = the new row; U → ``row_data`` = the whole old row,
``changed_fields`` = the changed columns' new values (no row for a no-op update); D → ``row_data`` = the old
row. Values are hstore text (many forks use jsonb, same columns), cast back by the base column types;
``ignored_cols`` are not recorded. ``transaction_id`` (``txid_current()``) groups exact change sets and numbers
the versions; ``session_user_name`` is the database user that made the change.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Table, and_, case, false, func, or_, select, union
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects.postgresql import HSTORE, JSONB
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
from chrono_cli.conventions.types import is_boolean, is_json
from chrono_cli.conventions.writes.base import WriteContext
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.db.triggers import TriggerInfo
from chrono_cli.model import Op, RowKey

STORE = "logged_actions"
FUNCTION = "if_modified_func"
ACTIONS = {"I": Op.INSERT, "U": Op.UPDATE, "D": Op.DELETE}


def is_store(t: TableInfo) -> bool:
    """``audit.logged_actions`` (any schema): by its columns."""
    return t.has("event_id", "action", "row_data", "changed_fields", "relid", "statement_only", "table_name",
                 "action_tstamp_stm", "transaction_id")


def audit_triggers(base: TableInfo) -> list[TriggerInfo]:
    """The row-level triggers on ``base`` calling ``if_modified_func()`` (the statement one only logs TRUNCATE)."""
    return [t for t in base.triggers if t.function == FUNCTION and t.for_each_row]


def ignored(base: TableInfo) -> tuple[str, ...]:
    """``ignored_cols`` of ``audit_table()``: the row trigger's second argument, a text[] literal."""
    found: list[str] = []
    for t in audit_triggers(base):
        for arg in t.args[1:2]:
            found += [c.strip().strip('"') for c in arg.strip().strip("{}").split(",") if c.strip()]
    return tuple(dict.fromkeys(found))


def booleans(base: TableInfo, raw: Any) -> dict[str, Any]:
    """hstore keeps booleans as their text output ('t' / 'f'): as booleans for the boolean columns of ``base``."""
    out = dict(raw or {})
    for name in _boolean_columns(base).intersection(out):
        if out[name] in ("t", "f"):
            out[name] = out[name] == "t"
    return out


_BOOLEAN_COLUMNS: dict[int, tuple[Any, frozenset[str]]] = {}  # id(columns) -> (columns, boolean names)


def _boolean_columns(base: TableInfo) -> frozenset[str]:
    """The boolean columns of ``base``, found once per reflected table (a log of 100,000 rows asks for each row)."""
    columns = base.columns
    hit = _BOOLEAN_COLUMNS.get(id(columns))
    if hit is None or hit[0] is not columns:
        if len(_BOOLEAN_COLUMNS) > 64:  # a long browse session reflects again and again: keep the newest only
            _BOOLEAN_COLUMNS.clear()
        hit = _BOOLEAN_COLUMNS[id(columns)] = (columns, frozenset(k for k, c in columns.items()
                                                                  if is_boolean(c.type)))
    return hit[1]


def _get(column: Any, name: str) -> Any:
    """``column -> name`` as text, for hstore and for the jsonb forks."""
    return column[name].astext if is_json(column.type) else column[name]


def _named(store: Table, key: RowKey) -> ColumnElement[bool]:
    return or_(*(and_(*(_get(store.c[side], n) == str(v) for n, v in key.items))
                 for side in ("row_data", "changed_fields")))


def _audit_table(subject: Subject) -> Remedy | None:
    assert subject.base is not None and subject.store is not None
    return CallTableFunction(subject.base.ref, "audit_table", subject.store.ref.schema)


CHECK = CheckSpec(
    StoreKind.SHARED, comparators=(trigger_comparator(audit_triggers, f"audit.{FUNCTION}", _audit_table),),
    store_meta=(MetaColumn("event_id", sqltypes.BigInteger(), nullable=False),
                MetaColumn("action", sqltypes.Text(), nullable=False, exact=True),
                MetaColumn("transaction_id", sqltypes.BigInteger()),
                MetaColumn("action_tstamp_stm", sqltypes.DateTime(timezone=True), nullable=False),
                MetaColumn("statement_only", sqltypes.Boolean(), nullable=False)),
    lone_store=lambda t: t.ref.name == STORE and is_store(t))


class AuditTriggerAdapter(TriggerLogAdapter):
    """2ndQuadrant's ``audit.logged_actions``."""

    name = "audit-trigger"
    title = "2ndQuadrant audit trigger (audit.logged_actions)"
    singleton_stores = (STORE,)
    table_column = "table_name"
    time_column = "action_tstamp_stm"
    function = FUNCTION
    check = CHECK

    def stores(self, snapshot: SchemaSnapshot) -> Iterator[LogStore]:
        for t in snapshot:
            if t.ref.name == STORE and is_store(t):
                yield LogStore(t, (f"{t.ref} has event_id, action, row_data, changed_fields, relid, statement_only",))

    def audit_triggers(self, base: TableInfo) -> list[TriggerInfo]:
        return audit_triggers(base)

    def log_rows(self, ctx: ReadContext, det: Detection) -> Select[Any]:
        store = ctx.info(det.store).table()
        query = select(store).where(store.c.table_name == det.live.name, store.c.statement_only.is_(false()))
        schema = det.live.schema or ctx.snapshot.default_schema
        return query.where(store.c.schema_name == schema) if schema else query

    def record_filter(self, store: Table, key: RowKey) -> ColumnElement[bool]:
        return _named(store, key)

    def truncates(self, ctx: ReadContext, det: Detection) -> Select[Any] | None:
        """``audit_trigger_stm`` logs each TRUNCATE as a statement-only row with action 'T'."""
        store = ctx.info(det.store).table()
        query = select(store).where(store.c.table_name == det.live.name, store.c.action == "T")
        schema = det.live.schema or ctx.snapshot.default_schema
        return query.where(store.c.schema_name == schema) if schema else query

    def entry(self, row: Mapping[Any, Any]) -> LogEntry:
        op = ACTIONS.get(str(row["action"]).upper(), Op.UNKNOWN)
        data = as_json(row["row_data"]) or {}
        changed = as_json(row["changed_fields"]) or {}
        old, new = ({}, data) if op is Op.INSERT else (data, changed)
        actor = row["session_user_name"]
        return LogEntry(op, old, new, as_utc(row["action_tstamp_stm"]), row["transaction_id"],
                        None if actor is None else str(actor), row["transaction_id"])

    def excluded(self, ctx: ReadContext, det: Detection) -> tuple[str, ...]:
        return ignored(ctx.info(det.live))

    def documents(self, store: FromClause) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
        """``row_data`` is the old row but of an INSERT (its new row); an UPDATE's new row is ``row_data ||
        changed_fields`` (hstore and jsonb alike)."""
        data, changed = store.c.row_data, store.c.changed_fields
        new = case((store.c.action == "I", data), (changed.is_(None), data),
                   else_=data.op("||", return_type=data.type)(changed))
        return case((store.c.action != "I", data)), new

    def op_is(self, store: FromClause, op: Op) -> ColumnElement[bool]:
        return store.c.action == next(a for a, o in ACTIONS.items() if o is op)

    def group_filter(self, store: Table, group: Any) -> ColumnElement[bool] | None:
        return store.c.transaction_id == group if isinstance(group, int) and not isinstance(group, bool) else None

    def _decoded(self, ctx: ReadContext, det: Detection, raw: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
        return super()._decoded(ctx, det, booleans(ctx.info(det.live), raw))


class AuditTriggerWriter(TriggerLogWriter):
    """Base-table writes; ``audit_trigger_row`` writes the logged_actions row."""

    log_name = STORE

    def triggers(self, info: TableInfo) -> list[TriggerInfo]:
        return audit_triggers(info)

    def fix_hint(self, ctx: WriteContext) -> str:
        return f"SELECT {ctx.det.store.schema or 'audit'}.audit_table('{ctx.det.live}'), then retry"

    def store_where(self, ctx: WriteContext, key: RowKey) -> ColumnElement[bool] | None:
        return and_(ctx.store.c.table_name == ctx.det.live.name, _named(ctx.store, key))

    def deleted_log_keys(self, ctx: WriteContext) -> Select[Any]:
        """Keys of delete rows, and of every row logged before the last TRUNCATE (``audit_trigger_stm``)."""
        store = ctx.store
        named = store.c.table_name == ctx.det.live.name
        keys = [_get(store.c.row_data, n).label(f"k{i}") for i, n in enumerate(ctx.det.key)]
        cut = select(func.max(store.c.event_id)).where(named, store.c.action == "T").scalar_subquery()
        both = union(select(*keys).where(named, store.c.action == "D"),
                     select(*keys).where(named, store.c.event_id < cut, store.c.row_data.is_not(None))).subquery()
        return select(*both.c)


class AuditTriggerBulk(TriggerLogBulk):
    """The audit trigger: an insert leaves ``row_data``, an update ``row_data || changed_fields``;
    ``audit_trigger_stm`` logs TRUNCATE as a statement row (action 'T')."""

    schema_column = "schema_name"
    time_column = "action_tstamp_stm"

    def key_after(self, ctx: WriteContext, name: str) -> ColumnElement[Any]:
        return func.coalesce(_get(ctx.store.c.changed_fields, name), _get(ctx.store.c.row_data, name))

    def key_before(self, ctx: WriteContext, name: str) -> ColumnElement[Any]:
        key: ColumnElement[Any] = _get(ctx.store.c.row_data, name)
        return key

    def state(self, ctx: WriteContext, row: Mapping[str, Any]) -> tuple[Op, dict[str, Any]]:
        op = ACTIONS.get(str(row["action"]).upper(), Op.UNKNOWN)
        data = {**(as_json(row["row_data"]) or {}), **(as_json(row["changed_fields"]) or {} if op is Op.UPDATE
                                                        else {})}
        return op, booleans(ctx.live_info, data)

    def truncated(self, ctx: WriteContext) -> ColumnElement[bool] | None:
        return ctx.store.c.action == "T"

    def excluded(self, ctx: WriteContext) -> tuple[str, ...]:
        return ignored(ctx.live_info)

    def log_columns(self, ctx: WriteContext) -> list[Any]:
        """What ``AuditTriggerAdapter.entry`` reads; hstore values as jsonb (the same text values and NULLs, parsed
        by the driver rather than by psycopg2's hstore parser, a third of a revert's time)."""
        store = ctx.store
        documents = [func.hstore_to_jsonb(store.c[c], type_=JSONB).label(c)
                     if isinstance(store.c[c].type, HSTORE) else store.c[c] for c in ("row_data", "changed_fields")]
        return [*(store.c[c] for c in ("event_id", "action", "action_tstamp_stm", "transaction_id",
                                       "session_user_name")), *documents]
