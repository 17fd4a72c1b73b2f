"""Chrononaut 0.2's check-migrations spec (imported by check-migrations, not by reads)."""

from __future__ import annotations

from sqlalchemy import types as sqltypes

from chrono_cli.conventions.checkspec import JSON, VERSION, CheckSpec, MetaColumn, Rule, StoreKind
from chrono_cli.conventions.shapes.old_state_detect import version_store
from chrono_cli.conventions.types import col, is_integer
from chrono_cli.db.reflect import TableInfo


def _lone_store(t: TableInfo) -> bool:
    return (version_store(t) and "version" in t.pk and "change_info" in t.columns
            and (t.ref.name.endswith("_history") or "changed" in t.columns))


def _versioned_base(t: TableInfo) -> bool:
    v = col(t, "version")
    return v is not None and is_integer(v.type) and v.nullable


CHECK = CheckSpec(
    StoreKind.PAIRED, frozenset({Rule.COPY_COLUMNS, Rule.VERSION_KEY, Rule.STORE_EXISTS}),
    store_meta=(VERSION, MetaColumn("changed", sqltypes.DateTime(timezone=True)), MetaColumn("change_info", JSON)),
    # nullable with client default 0
    base_meta=(MetaColumn("version", sqltypes.Integer(), exact=True),),
    hides_columns=True, store_suffix="_history", versioned_base=_versioned_base, lone_store=_lone_store)
