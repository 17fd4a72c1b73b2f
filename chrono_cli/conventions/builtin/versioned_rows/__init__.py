"""SQLAlchemy's versioned_rows examples: every version is a row ``(id, version_id)`` of the table itself."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Signature, TableSign

CONVENTION = Convention.declare(
    Signature("chrono_cli.conventions.builtin.versioned_rows.convention:CONVENTION",
              tables=(TableSign(key=("version_id",)),)),
    name="versioned-rows", title="SQLAlchemy versioned rows", shape="in-table", after=("potion",))
