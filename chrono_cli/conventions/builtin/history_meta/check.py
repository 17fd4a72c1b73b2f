"""history_meta's check-migrations spec (imported by check-migrations, not by reads)."""

from __future__ import annotations

from sqlalchemy import types as sqltypes

from chrono_cli.conventions.checkspec import VERSION, CheckSpec, MetaColumn, Rule, StoreKind
from chrono_cli.conventions.shapes.old_state_detect import version_store
from chrono_cli.conventions.types import col, is_integer
from chrono_cli.db.reflect import TableInfo
from chrono_cli.model import Severity


def _versioned_base(t: TableInfo) -> bool:
    v = col(t, "version")
    return v is not None and is_integer(v.type) and not v.nullable


def _lone_store(t: TableInfo) -> bool:
    return t.ref.name.endswith("_history") and version_store(t) and "version" in t.pk and "change_info" not in t.columns


CHECK = CheckSpec(
    StoreKind.PAIRED, frozenset({Rule.COPY_COLUMNS, Rule.VERSION_KEY, Rule.STORE_EXISTS}),
    # history_meta's own comment: "changed ... is optional and can be omitted"
    store_meta=(VERSION, MetaColumn("changed", sqltypes.DateTime(), Severity.WARNING, timezone_matters=False)),
    # its base version is NOT NULL and starts at 1
    base_meta=(MetaColumn("version", sqltypes.Integer(), nullable=False, server_default="1", exact=True),),
    store_suffix="_history", versioned_base=_versioned_base, lone_store=_lone_store)
