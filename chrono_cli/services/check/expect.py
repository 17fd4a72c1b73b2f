"""What each convention writes: the meta columns of its stores and base tables, and how types are judged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import types as sqltypes
from sqlalchemy.types import TypeEngine

from chrono_cli.conventions.types import Fit
from chrono_cli.model import Severity


@dataclass(frozen=True, slots=True)
class MetaColumn:
    """A column a convention writes itself."""

    name: str
    type: TypeEngine[Any]
    missing: Severity = Severity.ERROR      # how bad it is when the column is not there
    nullable: bool = True
    server_default: str | None = None
    timezone_matters: bool = True           # False where the library writes aware values into naive columns
    exact: bool = False                     # keys and ordering depend on it: kept as text is an error too


_VERSION = MetaColumn("version", sqltypes.Integer(), nullable=False, exact=True)
_JSON = sqltypes.JSON()

STORE_META: dict[str, tuple[MetaColumn, ...]] = {
    # history_meta's own comment: "changed ... is optional and can be omitted"
    "history-meta": (_VERSION, MetaColumn("changed", sqltypes.DateTime(), Severity.WARNING, timezone_matters=False)),
    "chrononaut": (_VERSION, MetaColumn("changed", sqltypes.DateTime(timezone=True)),
                   MetaColumn("change_info", _JSON)),
    "chrononaut-activity": (
        MetaColumn("id", sqltypes.Integer(), nullable=False),
        MetaColumn("table_name", sqltypes.Text(), nullable=False, server_default=""),
        MetaColumn("changed", sqltypes.DateTime(timezone=True), nullable=False),
        MetaColumn("version", sqltypes.Integer(), nullable=False, exact=True),
        *(MetaColumn(n, _JSON, nullable=False, server_default="{}") for n in ("key", "data", "user_info",
                                                                             "extra_info"))),
    "potion": (
        MetaColumn("id", sqltypes.Integer(), nullable=False),
        MetaColumn("object_type", sqltypes.String(20), nullable=False, server_default=""),
        MetaColumn("object_id", sqltypes.Integer(), nullable=False, exact=True),
        MetaColumn("updated_at", sqltypes.DateTime(), nullable=False, timezone_matters=False),
        MetaColumn("changes", _JSON)),
}

BASE_META: dict[str, tuple[MetaColumn, ...]] = {
    # history_meta's base version is NOT NULL and starts at 1; Chrononaut's is nullable with client default 0
    "history-meta": (MetaColumn("version", sqltypes.Integer(), nullable=False, server_default="1", exact=True),),
    "chrononaut": (MetaColumn("version", sqltypes.Integer(), exact=True),),
    "chrononaut-activity": (MetaColumn("version", sqltypes.Integer(), exact=True),),
}


def meta_names(convention: str) -> frozenset[str]:
    """Names of the store columns the convention writes itself (never compared with the base)."""
    return frozenset(m.name for m in STORE_META.get(convention, ()))


def base_meta_names(convention: str) -> frozenset[str]:
    return frozenset(m.name for m in BASE_META.get(convention, ()))


# How a type fit is reported: (kind, severity), None when there is nothing to say.
FIT_FINDINGS: dict[Fit, tuple[str, Severity] | None] = {
    Fit.SAME: None,
    Fit.WIDER: ("type-widened", Severity.INFO),
    Fit.LOOSER: ("type-mismatch", Severity.INFO),
    Fit.AS_TEXT: ("type-mismatch", Severity.WARNING),
    Fit.TIMEZONE: ("type-mismatch", Severity.WARNING),
    Fit.UNKNOWN: ("type-mismatch", Severity.WARNING),
    Fit.NARROWER: ("type-narrowed", Severity.ERROR),
    Fit.OTHER: ("type-mismatch", Severity.ERROR),
}


def native(t: TypeEngine[Any], dialect: str) -> TypeEngine[Any]:
    """A generic type as the libraries create it on ``dialect`` (JSON is JSONB on PostgreSQL)."""
    if dialect == "postgresql" and type(t) is sqltypes.JSON:
        from sqlalchemy.dialects.postgresql import JSONB

        return JSONB()
    return t
