"""Triggers on reflected tables (PostgreSQL ``pg_trigger``), read for a whole snapshot in one query."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.types import String

from chrono_cli.model import TableRef

# pg_trigger.tgtype bits (src/include/catalog/pg_trigger.h)
_ROW, _BEFORE, _INSERT, _DELETE, _UPDATE, _TRUNCATE, _INSTEAD = 1, 2, 4, 8, 16, 32, 64


@dataclass(frozen=True, slots=True)
class TriggerInfo:
    """One trigger: what fires it, the function it runs, and whether it is enabled."""

    name: str
    function: str
    function_schema: str | None = None
    enabled: bool = True
    timing: str = "AFTER"                  # BEFORE | AFTER | INSTEAD OF
    events: tuple[str, ...] = ()           # INSERT, UPDATE, DELETE, TRUNCATE
    for_each_row: bool = True
    args: tuple[str, ...] = ()


def _sql(name: str) -> str:
    return resources.files("chrono_cli.db").joinpath("sql", name).read_text(encoding="utf-8")


def _args(raw: Any, count: int) -> tuple[str, ...]:
    if not count or raw is None:
        return ()
    data = bytes(raw)
    return tuple(a.decode("utf-8", "replace") for a in data.split(b"\x00")[:count])


def _decode(row: Any) -> TriggerInfo:
    bits = int(row.type_bits)
    timing = "INSTEAD OF" if bits & _INSTEAD else "BEFORE" if bits & _BEFORE else "AFTER"
    events = tuple(e for bit, e in ((_INSERT, "INSERT"), (_UPDATE, "UPDATE"), (_DELETE, "DELETE"),
                                    (_TRUNCATE, "TRUNCATE")) if bits & bit)
    return TriggerInfo(row.trigger_name, row.function_name, row.function_schema, row.enabled != "D", timing,
                       events, bool(bits & _ROW), _args(row.args, int(row.nargs or 0)))


def pg_triggers(conn: Connection, schemas: Collection[str]) -> dict[tuple[str, str], tuple[TriggerInfo, ...]]:
    """Triggers per (schema, table) in ``schemas``: one catalog query; empty off PostgreSQL."""
    if conn.dialect.name != "postgresql" or not schemas:
        return {}
    from sqlalchemy.dialects.postgresql import ARRAY  # only on PostgreSQL: the dialect package is heavy to import

    query = text(_sql("pg_triggers.sql")).bindparams(bindparam("schemas", type_=ARRAY(String)))
    out: dict[tuple[str, str], list[TriggerInfo]] = {}
    for row in conn.execute(query, {"schemas": sorted(schemas)}):
        out.setdefault((row.table_schema, row.table_name), []).append(_decode(row))
    return {k: tuple(v) for k, v in out.items()}


def attach(conn: Connection, tables: dict[TableRef, Any], default_schema: str | None) -> None:
    """Set ``.triggers`` on each reflected TableInfo (unqualified refs resolve to ``default_schema``)."""
    schemas = {ref.schema or default_schema for ref in tables}
    found = pg_triggers(conn, {s for s in schemas if s})
    if not found:
        return
    for ref, info in tables.items():
        triggers = found.get((ref.schema or default_schema or "", ref.name))
        if triggers:
            info.triggers = triggers


_SQLITE_HEAD = re.compile(
    r"\bTRIGGER\b.*?\b(BEFORE|AFTER|INSTEAD\s+OF)?\s*\b(INSERT|UPDATE|DELETE)\b\s+(?:OF\b.*?)?\bON\b",
    re.IGNORECASE | re.DOTALL)


def table_triggers(conn: Connection, ref: TableRef, default_schema: str | None = None) -> tuple[TriggerInfo, ...]:
    """The triggers on one table, on any dialect (one catalog query)."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        found = pg_triggers(conn, {ref.schema or default_schema or "public"})
        return found.get((ref.schema or default_schema or "public", ref.name), ())
    if dialect == "sqlite":
        out = []
        for row in conn.execute(text(_sql("sqlite_triggers.sql")), {"table": ref.name}):
            match = _SQLITE_HEAD.search(row.definition or "")
            if match:
                timing = " ".join((match.group(1) or "BEFORE").upper().split())
                out.append(TriggerInfo(row.trigger_name, "", None, True, timing, (match.group(2).upper(),)))
        return tuple(out)
    if dialect in ("mysql", "mariadb"):
        rows = conn.execute(text(_sql("mysql_triggers.sql")), {"schema": ref.schema, "table": ref.name})
        return tuple(TriggerInfo(r.trigger_name, "", None, True, r.timing, (r.event,)) for r in rows)
    return ()
