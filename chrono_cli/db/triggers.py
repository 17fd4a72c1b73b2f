"""Triggers on reflected tables (PostgreSQL ``pg_trigger``), read for a whole snapshot in one query."""

from __future__ import annotations

from collections.abc import Collection
from importlib import resources
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection
from sqlalchemy.types import String

from chrono_cli.records import Struct

# pg_trigger.tgtype bits (src/include/catalog/pg_trigger.h)
_ROW, _BEFORE, _INSERT, _DELETE, _UPDATE, _TRUNCATE, _INSTEAD = 1, 2, 4, 8, 16, 32, 64


class TriggerInfo(Struct, frozen=True):
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
