"""How type fits are judged and how generic types are spelt per dialect (the meta columns live in each
convention's check spec)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import types as sqltypes
from sqlalchemy.types import TypeEngine

from chrono_cli.conventions.types import Fit
from chrono_cli.model import Severity

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
