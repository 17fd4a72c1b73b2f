"""Layouts declared in chrono.toml (``[tables.X] layout = "..."``): checked against the reflected schema and
turned into detections read by the shape engines (adapter names = shape names).

A declaration that does not fit the schema is a one-line ConfigError naming the key; a declared table is
found even when no built-in detector would recognise it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import types as sqltypes

from chrono_cli.config import Config, Layout, Shape, TableConfig
from chrono_cli.conventions.base import Detection
from chrono_cli.conventions.shapes.common import Declared, DeclaredOptions
from chrono_cli.conventions.types import is_boolean, is_integer, is_json, is_text, is_timestamp
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.errors import ConfigError
from chrono_cli.model import TableRef

NAMES = tuple(s.value for s in Shape)

# roles each shape reads; any other declared role is an error (never silently ignored)
ALLOWED: dict[Shape, tuple[str, ...]] = {
    Shape.OLD_STATE: ("version", "changed", "operation", "actor", "reason"),
    Shape.NEW_STATE: ("version", "changed", "operation", "actor", "reason"),
    Shape.JSON_SNAPSHOT: ("version", "changed", "operation", "actor", "reason", "table", "row_key", "data"),
    Shape.JSON_DIFF: ("version", "changed", "operation", "actor", "reason", "table", "row_key", "old", "new",
                      "changes"),
    Shape.IN_TABLE: ("version", "valid_from", "valid_to", "current", "actor", "reason"),
    Shape.PERIOD: ("valid_from", "valid_to", "period", "actor", "reason"),
}
# each tuple: at least one of these roles must be declared
REQUIRED: dict[Shape, tuple[tuple[str, ...], ...]] = {
    Shape.OLD_STATE: (("version", "changed"),),
    Shape.NEW_STATE: (("version", "changed"),),
    Shape.JSON_SNAPSHOT: (("row_key",), ("data",), ("version", "changed")),
    Shape.JSON_DIFF: (("row_key",), ("old", "new", "changes"), ("version", "changed")),
    Shape.IN_TABLE: (("version", "valid_from"), ("current", "valid_to")),
    Shape.PERIOD: (("valid_from", "period"), ("valid_to", "period")),
}
JSON_SHAPES = (Shape.JSON_SNAPSHOT, Shape.JSON_DIFF)
TABLE_SHAPES = (Shape.OLD_STATE, Shape.NEW_STATE, Shape.PERIOD)


def _is_time(t: Any) -> bool:
    return is_timestamp(t) or isinstance(t, sqltypes.Date)


def _is_range(t: Any) -> bool:
    return "RANGE" in type(t).__name__.upper()


# role -> (accepted types, what to call them)
TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "version": (is_integer, "an integer"),
    "changed": (_is_time, "a timestamp"),
    "valid_from": (_is_time, "a timestamp"),
    "valid_to": (_is_time, "a timestamp"),
    "period": (_is_range, "a range (tstzrange)"),
    "current": (lambda t: is_boolean(t) or is_integer(t), "a boolean"),
    "operation": (lambda t: is_text(t) or is_integer(t), "text"),
    "actor": (lambda t: is_text(t) or is_integer(t), "text or an integer"),
    "reason": (is_text, "text"),
    "table": (is_text, "text"),
    "row_key": (lambda t: is_text(t) or is_integer(t) or is_json(t), "text, an integer or JSON"),
    "data": (lambda t: is_json(t) or is_text(t), "JSON or text"),
    "old": (lambda t: is_json(t) or is_text(t), "JSON or text"),
    "new": (lambda t: is_json(t) or is_text(t), "JSON or text"),
    "changes": (lambda t: is_json(t) or is_text(t), "JSON or text"),
}


def declared_tables(snapshot: SchemaSnapshot, config: Config) -> Iterator[tuple[str, TableConfig, TableInfo]]:
    """(config name, declarations, base table) of each declared layout whose base table is in ``snapshot``."""
    for name, tcfg in config.tables.items():
        if tcfg.layout is None or tcfg.ignore:
            continue
        schema, _, bare = name.rpartition(".")
        for info in snapshot.named(bare):
            if not schema or info.ref.schema == schema:
                yield name, tcfg, info
                break


def history_ref(base: TableInfo, tcfg: TableConfig) -> TableRef | None:
    """Where the declared history lives (None for in-table)."""
    if tcfg.history is None:
        return None
    schema, _, name = tcfg.history.rpartition(".")
    return TableRef(schema or base.ref.schema, name)


def detect(snapshot: SchemaSnapshot, config: Config, *, missing_ok: bool = False) -> list[Detection]:
    """A detection per declared layout whose base table is in ``snapshot`` (ConfigError when it does not fit;
    with ``missing_ok`` a declared history table that is gone is left to check-migrations to report)."""
    out: list[Detection] = []
    for name, tcfg, base in declared_tables(snapshot, config):
        layout = tcfg.layout
        assert layout is not None
        ref = history_ref(base, tcfg)
        store = base if ref is None else snapshot.get(ref)
        if store is None:
            if missing_ok:
                continue
            raise ConfigError(f"config [tables.{name}] history: no table {ref} (the declared {layout.shape} "
                              "history table)")
        dec = resolve(name, tcfg, base, store)
        key = base.pk if ref is not None else dec.key  # in-table: the record's columns, not the row's
        out.append(Detection(layout.shape.value, base.ref, store.ref, key, version_col=None,
                             time_col=dec.role("changed") or dec.role("valid_from"), score=100,
                             evidence=evidence(name, tcfg, base, store, dec), options=DeclaredOptions(dec)))
    return out


def resolve(name: str, tcfg: TableConfig, base: TableInfo, store: TableInfo) -> Declared:
    """Check a declaration against the schema; the resolved roles, key and value columns."""
    layout = tcfg.layout
    assert layout is not None
    section, cols = f"[tables.{name}]", f"[tables.{name}.columns]"
    shape = layout.shape
    if shape is Shape.IN_TABLE and tcfg.history is not None and store is not base:
        raise ConfigError(f"config {section} history: an in-table layout keeps versions in {base.ref.name} "
                          "itself; leave history out")
    if shape is not Shape.IN_TABLE and tcfg.history is None:
        raise ConfigError(f"config {section} history: the {shape} layout needs the history table's name")
    for role in layout.roles:
        if role not in ALLOWED[shape]:
            raise ConfigError(f"config {cols} {role}: not a role of the {shape} layout",
                              hint=f"roles of {shape}: {', '.join(ALLOWED[shape])}")
    for role, column in layout.roles.items():
        info = store.columns.get(column)
        if info is None:
            raise ConfigError(f"config {cols} {role}: no column '{column}' in {store.ref.name}")
        accepts, wanted = TYPES[role]
        if not accepts(info.type):
            raise ConfigError(f"config {cols} {role}: {store.ref.name}.{column} is {_type_name(info.type)}, "
                              f"not {wanted}")
    for group in REQUIRED[shape]:
        if not any(layout.role(r) for r in group):
            what = group[0] if len(group) == 1 else "one of " + ", ".join(group)
            raise ConfigError(f"config {cols}: the {shape} layout needs {what}",
                              hint=f"add it under {cols}, naming a column of {store.ref.name}")
    if shape is Shape.PERIOD and layout.role("period") is None and not (
            layout.role("valid_from") and layout.role("valid_to")):
        raise ConfigError(f"config {cols}: the period layout needs period, or valid_from and valid_to")
    if layout.data_means != "after" and shape is not Shape.JSON_SNAPSHOT:
        raise ConfigError(f"config {section} data_means: only valid for the json-snapshot layout")
    if layout.table_value is not None and layout.role("table") is None:
        raise ConfigError(f"config {section} table_value: needs a table column ({cols} table)")
    for column in tcfg.not_recorded:
        if column not in base.columns:
            raise ConfigError(f"config {section} unrecorded: no column '{column}' in {base.ref.name}")
    key = _key(name, layout, base, store)
    data: tuple[tuple[str, str], ...] = ()
    if shape in TABLE_SHAPES:
        data = _data(layout, base, store, key)
    roles = set(layout.roles.values())
    surrogate = tuple(c for c in base.pk if c not in key and c not in roles) if shape is Shape.IN_TABLE else ()
    return Declared(layout, section, key, data, surrogate)


def _key(name: str, layout: Layout, base: TableInfo, store: TableInfo) -> tuple[str, ...]:
    cols = f"[tables.{name}.columns]"
    if layout.shape in JSON_SHAPES:
        if layout.key:
            raise ConfigError(f"config {cols} key: not used by the {layout.shape} layout (row_key names the key)")
        if not base.pk:
            raise ConfigError(f"config [tables.{name}]: {base.ref.name} has no primary key to match row_key with")
        return base.pk
    if layout.shape is Shape.IN_TABLE:
        roles = set(layout.roles.values())
        key = layout.key or tuple(c for c in base.pk if c not in roles)
        if not key:
            raise ConfigError(f"config {cols} key: name the columns that identify a record in {base.ref.name}")
        for column in key:
            if column not in base.columns:
                raise ConfigError(f"config {cols} key: no column '{column}' in {base.ref.name}")
        return key
    if not base.pk:
        raise ConfigError(f"config [tables.{name}]: {base.ref.name} has no primary key",
                          hint=f"chrono needs a key to match {store.ref.name}'s rows with it")
    key = layout.key or base.pk
    if len(key) != len(base.pk):
        raise ConfigError(f"config {cols} key: {len(key)} column(s) for the {len(base.pk)}-column primary key "
                          f"of {base.ref.name} ({', '.join(base.pk)})")
    for column in key:
        if column not in store.columns:
            hint = None if layout.key else f"declare the history's key columns: {cols} key = [...]"
            raise ConfigError(f"config {cols} key: no column '{column}' in {store.ref.name}", hint=hint)
    return key


def _data(layout: Layout, base: TableInfo, store: TableInfo, key: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(history column, base column) pairs: the key (by position), shared names, then dropped base columns."""
    roles = set(layout.roles.values())
    pairs = list(zip(key, base.pk, strict=True))
    for column in store.columns:
        if column in roles or column in key:
            continue
        if column in base.columns or column not in store.pk:
            pairs.append((column, column))  # a history-only column not in its key: a dropped base column
    return tuple(pairs)


def evidence(name: str, tcfg: TableConfig, base: TableInfo, store: TableInfo, dec: Declared) -> tuple[str, ...]:
    """What ``tables --explain`` shows for a declared layout."""
    layout = dec.layout
    roles = ", ".join(f"{r}={c}" for r, c in layout.roles.items())
    where = "in the table itself" if store is base else f"history {store.ref}"
    lines = [f"declared in chrono.toml [tables.{name}]: layout {layout.shape}, {where}"
             + (f", {roles}" if roles else "")]
    if layout.role("operation"):
        lines.append(f"operations: insert={layout.insert!r}, update={layout.update!r}, delete={layout.delete!r}")
    if layout.shape is Shape.JSON_SNAPSHOT:
        lines.append(f"data holds the row {layout.data_means} each change")
    if layout.role("table"):
        lines.append(f"shared log: rows where {layout.role('table')} = {layout.table_value or base.ref.name!r}")
    if store is not base and dec.key != base.pk:
        lines.append(f"key: {store.ref.name}({', '.join(dec.key)}) = {base.ref.name}({', '.join(base.pk)})")
    missing = [c for c in base.columns if dec.data and c not in {b for _, b in dec.data}]
    if tcfg.unrecorded:
        lines.append(f"declared unrecorded: {', '.join(tcfg.unrecorded)}")
    undeclared = [c for c in missing if c not in tcfg.unrecorded and c not in layout.roles.values()]
    if undeclared:
        lines.append(f"not in {store.ref.name} (shown as not recorded): {', '.join(undeclared)}")
    triggers = [f"{t.name} ({t.timing} {'/'.join(t.events)})" for t in base.triggers]
    if triggers:
        lines.append(f"triggers on {base.ref.name}: {', '.join(triggers)}")
    return tuple(lines)


def _type_name(t: Any) -> str:
    try:
        return str(t)
    except Exception:  # noqa: BLE001 - a type without a generic spelling still needs a name
        return type(t).__name__
