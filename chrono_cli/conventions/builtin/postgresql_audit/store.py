"""Where postgresql-audit keeps its log, and which tables its triggers audit (shared by read, write and check).

``activity`` has ``verb``, ``old_data``/``changed_data`` JSONB, ``table_name`` and ``native_transaction_id``;
``transaction`` (same schema) has ``native_transaction_id`` too, which tells it from Continuum's. A table is
audited by the triggers ``audit_table()`` creates: ``audit_trigger_insert/_update/_delete`` (statement level)
or ``audit_trigger_row``, all calling ``create_activity()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.base import Options
from chrono_cli.conventions.builtin.postgresql_audit import ACTIVITY as ACTIVITY
from chrono_cli.conventions.builtin.postgresql_audit import TRANSACTION as TRANSACTION
from chrono_cli.conventions.types import col_is, is_json, is_text
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.db.triggers import TriggerInfo
from chrono_cli.model import RowKey, TableRef

NAME = "postgresql-audit"
FUNCTION = "create_activity"


class AuditOptions(Options, frozen=True):
    """The transaction table next to the activity log, and what the table's audit triggers look like."""

    transaction: TableRef
    function_schema: str | None = None  # where audit_table() and create_activity() live


def is_activity(t: TableInfo) -> bool:
    """postgresql-audit's ``activity`` log (by columns and types, not only by name)."""
    return (t.has("verb", "old_data", "changed_data", "table_name", "native_transaction_id", "issued_at")
            and col_is(t, "old_data", is_json) and col_is(t, "changed_data", is_json) and col_is(t, "verb", is_text))


def transaction_of(snapshot: SchemaSnapshot, activity: TableInfo) -> TableInfo | None:
    """The ``transaction`` table next to ``activity`` (it has ``native_transaction_id``, Continuum's has not)."""
    found = snapshot.get(TableRef(activity.ref.schema, TRANSACTION))
    return found if found is not None and found.has("id", "native_transaction_id", "issued_at") else None


def stores(snapshot: SchemaSnapshot) -> Iterator[tuple[TableInfo, TableInfo]]:
    """Every (activity, transaction) pair of the snapshot."""
    for t in snapshot:
        if t.ref.name == ACTIVITY and is_activity(t):
            tx = transaction_of(snapshot, t)
            if tx is not None:
                yield t, tx


def audit_triggers(base: TableInfo) -> list[TriggerInfo]:
    """The triggers on ``base`` that call ``create_activity()``, enabled or not."""
    return [t for t in base.triggers if t.function == FUNCTION]


def excluded(base: TableInfo) -> tuple[str, ...]:
    """The columns ``audit_table(t, ignored_cols)`` left out, from the triggers' argument (a text[] literal)."""
    found: list[str] = []
    for t in audit_triggers(base):
        for arg in t.args[:1]:
            found += [c.strip().strip('"') for c in arg.strip().strip("{}").split(",") if c.strip()]
    return tuple(dict.fromkeys(found))




def key_match(activity: Any, key: RowKey) -> ColumnElement[bool]:
    """The activity rows naming ``key`` in old_data or changed_data (the library's documented query)."""
    def side(column: Any) -> ColumnElement[bool]:
        return and_(*(column[name].astext == _text(value) for name, value in key.items))

    return or_(side(activity.c.old_data), side(activity.c.changed_data))


def _text(value: Any) -> str:
    """A key value as ``->>`` renders it (JSON text of the value)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
