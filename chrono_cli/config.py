"""Configuration from chrono.toml or [tool.chrono] in pyproject.toml (stdlib tomllib)."""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chrono_cli.errors import ConfigError
from chrono_cli.records import Struct, field

_TABLE_KEYS = {"convention", "history", "hidden", "untracked", "excluded", "archive_column", "timezone",
               "columns", "discriminator", "ignore", "severity", "model",
               "layout", "unrecorded", "operations", "data_means", "table_value", "actor_column",
               "reason_column", "redact"}

ENV_URLS = ("CHRONO_DATABASE_URL", "DATABASE_URL")


def named_database(explicit: str | None, config: Config) -> str | None:
    """The database as the user named it: --db, else $CHRONO_DATABASE_URL or $DATABASE_URL, else the config's."""
    return explicit or next((os.environ[v] for v in ENV_URLS if os.environ.get(v)), None) or config.database


class Shape(enum.StrEnum):
    """The shapes a home-grown history table can be declared with (``[tables.X] layout``)."""

    OLD_STATE = "old-state"
    NEW_STATE = "new-state"
    JSON_SNAPSHOT = "json-snapshot"
    JSON_DIFF = "json-diff"
    IN_TABLE = "in-table"
    PERIOD = "period"


# [tables.X.columns] roles, each naming a column of the history table (key: a list of them)
ROLES = ("version", "changed", "valid_from", "valid_to", "period", "current", "operation", "actor", "reason",
         "table", "row_key", "data", "old", "new", "changes")
_OPERATIONS = ("insert", "update", "delete")


class Layout(Struct, frozen=True):
    """A user-declared history layout: the shape, which history column plays which role, and how the
    operation column spells each operation."""

    shape: Shape
    roles: Mapping[str, str] = field(default_factory=dict)   # role -> column (only the declared ones)
    key: tuple[str, ...] = ()                                 # history key columns (default: base primary key)
    insert: str = "INSERT"
    update: str = "UPDATE"
    delete: str = "DELETE"
    data_means: str = "after"                                 # json-snapshot: the row after or before the change
    table_value: str | None = None                            # shared log: the value naming this table

    def role(self, name: str) -> str | None:
        """The history column declared for ``name``, if any."""
        return self.roles.get(name)


class TableConfig(Struct, frozen=True):
    """What reflection cannot see about one table."""

    convention: str | None = None
    history: str | None = None
    hidden: tuple[str, ...] = ()
    untracked: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    archive_column: str | None = None
    timezone: str | None = None
    columns: tuple[str, ...] = ()
    discriminator: str | None = None
    model: str | None = None
    ignore: bool = False
    severity: Mapping[str, str] = field(default_factory=dict)
    not_recorded: tuple[str, ...] = ()   # ``unrecorded = [...]``
    layout: Layout | None = None
    actor_column: str | None = None    # a column of the table naming who made each state (updated_by)
    reason_column: str | None = None   # a column of the table saying why
    redact: tuple[str, ...] = ()       # columns shown as redacted (besides names like password, token)

    @property
    def unrecorded(self) -> tuple[str, ...]:
        """Columns declared as not stored in history."""
        return self.hidden + self.untracked + self.excluded + self.not_recorded


class Config(Struct, frozen=True):
    """The whole configuration; empty when no file is found."""

    database: str | None = None
    aliases: Mapping[str, str] = field(default_factory=dict)
    tables: Mapping[str, TableConfig] = field(default_factory=dict)
    hooks: Mapping[str, str] = field(default_factory=dict)
    actor: str | None = None
    source: Path | None = None
    baseline: Path | None = None  # [check] baseline: what check-migrations compares versioning with

    def table(self, name: str, schema: str | None = None) -> TableConfig:
        """The declarations for a table (looked up qualified first, then bare)."""
        if schema and f"{schema}.{name}" in self.tables:
            return self.tables[f"{schema}.{name}"]
        return self.tables.get(name, TableConfig())


def load(path: str | Path | None = None, cwd: Path | None = None) -> Config:
    """Read ``path``, else ./chrono.toml, else [tool.chrono] in ./pyproject.toml, else an empty Config."""
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file not found: {p}")
        data = _read(p)
        section = data.get("tool", {}).get("chrono", data) if p.name == "pyproject.toml" else data
        return _parse(section, p)
    base = cwd or Path.cwd()
    if (base / "chrono.toml").is_file():
        return _parse(_read(base / "chrono.toml"), base / "chrono.toml")
    if (base / "pyproject.toml").is_file():
        section = _read(base / "pyproject.toml").get("tool", {}).get("chrono")
        if isinstance(section, dict):
            return _parse(section, base / "pyproject.toml")
    return Config()


def _read(p: Path) -> dict[str, Any]:
    import tomllib  # only where there is a file to read: most runs have none

    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config {p}: {exc}") from exc


def _strs(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"config {where}: expected a list of strings")


def _opt_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ConfigError(f"config {where}: expected true or false (not {value!r})")


_SEVERITIES = ("error", "warning", "info", "ignore", "off", "none")


def _severity(value: Any, where: str) -> dict[str, str]:
    """Finding kind -> severity; the kinds are checked by check-migrations, which knows them."""
    if not isinstance(value, dict):
        raise ConfigError(f"config {where}.severity must map finding kinds to severities")
    for kind, level in value.items():
        if not isinstance(level, str) or level not in _SEVERITIES:
            raise ConfigError(f"config {where}.severity.{kind}: expected error, warning, info or ignore")
    return dict(value)


_TOP_KEYS = ("database", "actor", "aliases", "tables", "hooks", "check")
_CHECK_KEYS = ("baseline",)


def _check_section(data: Mapping[str, Any], source: Path) -> Path | None:
    check = data.get("check", {})
    if not isinstance(check, dict):
        raise ConfigError(f"config {source}: [check] must be a table")
    unknown = sorted(set(check) - set(_CHECK_KEYS))
    if unknown:
        raise ConfigError(f"config {source}: unknown key(s) in [check]: {', '.join(unknown)}",
                          hint=f"known keys: {', '.join(_CHECK_KEYS)}")
    baseline = _opt_str(check.get("baseline"), "[check] baseline")
    return None if baseline is None else (source.parent / baseline)


def _opt_str(value: Any, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ConfigError(f"config {where}: expected a string")


def _parse(data: Mapping[str, Any], source: Path) -> Config:
    stray = sorted(set(data) - set(_TOP_KEYS))
    if stray:
        raise ConfigError(f"config {source}: unknown key(s) or section(s): {', '.join(stray)}",
                          hint=f"known: {', '.join(_TOP_KEYS)}")
    tables_raw = data.get("tables") or {}
    if not isinstance(tables_raw, dict):
        raise ConfigError(f"config {source}: [tables] must hold one table per base table")
    aliases = data.get("aliases", {})
    if not isinstance(aliases, dict) or not all(isinstance(v, str) for v in aliases.values()):
        raise ConfigError(f"config {source}: [aliases] must map names to table names")
    tables: dict[str, TableConfig] = {}
    for name, raw in tables_raw.items():
        if not isinstance(raw, dict):
            raise ConfigError(f"config {source}: [tables.{name}] must be a table")
        unknown = set(raw) - _TABLE_KEYS
        if unknown:
            raise ConfigError(f"config {source}: unknown key(s) in [tables.{name}]: {', '.join(sorted(unknown))}",
                              hint=f"known keys: {', '.join(sorted(_TABLE_KEYS))}")
        where = f"[tables.{name}]"
        severity = _severity(raw.get("severity", {}), where)
        layout = _layout(name, raw)
        shown = raw.get("columns") if not isinstance(raw.get("columns"), dict) else None
        tables[name] = TableConfig(
            convention=_opt_str(raw.get("convention"), where), history=_opt_str(raw.get("history"), where),
            hidden=_strs(raw.get("hidden"), where), untracked=_strs(raw.get("untracked"), where),
            excluded=_strs(raw.get("excluded"), where),
            archive_column=_opt_str(raw.get("archive_column"), where),
            timezone=_opt_str(raw.get("timezone"), where), columns=_strs(shown, where),
            discriminator=_opt_str(raw.get("discriminator"), where), model=_opt_str(raw.get("model"), where),
            ignore=_opt_bool(raw.get("ignore", False), f"{where} ignore"), severity=severity,
            not_recorded=_strs(raw.get("unrecorded"), f"{where} unrecorded"), layout=layout,
            actor_column=_opt_str(raw.get("actor_column"), f"{where} actor_column"),
            reason_column=_opt_str(raw.get("reason_column"), f"{where} reason_column"),
            redact=_strs(raw.get("redact"), f"{where} redact"))
    hooks = data.get("hooks", {})
    if not isinstance(hooks, dict):
        raise ConfigError(f"config {source}: [hooks] must be a table")
    return Config(database=_opt_str(data.get("database"), "database"), aliases=dict(aliases), tables=tables,
                  hooks={k: str(v) for k, v in hooks.items()}, actor=_opt_str(data.get("actor"), "actor"),
                  source=source, baseline=_check_section(data, source))


def _layout(name: str, raw: Mapping[str, Any]) -> Layout | None:
    """``layout``, ``[tables.X.columns]`` roles, ``[tables.X.operations]``, ``data_means`` and ``table_value``."""
    where = f"[tables.{name}]"
    roles_raw = raw.get("columns") if isinstance(raw.get("columns"), dict) else None
    shape_raw = raw.get("layout")
    if shape_raw is None:
        for extra in ("operations", "data_means", "table_value"):
            if extra in raw:
                raise ConfigError(f"config {where} {extra}: only valid together with layout = \"...\"")
        if roles_raw is not None:
            raise ConfigError(f"config [tables.{name}.columns]: column roles are only valid together with "
                              "layout = \"...\"", hint="without a layout, columns is a list of column names")
        return None
    shapes = ", ".join(s.value for s in Shape)
    if not isinstance(shape_raw, str) or shape_raw not in {s.value for s in Shape}:
        raise ConfigError(f"config {where} layout: expected one of {shapes}, got {shape_raw!r}")
    if raw.get("convention") is not None:
        raise ConfigError(f"config {where} convention: give layout or convention, not both")
    roles: dict[str, str] = {}
    key: tuple[str, ...] = ()
    for role, value in (roles_raw or {}).items():
        at = f"[tables.{name}.columns] {role}"
        if role == "key":
            names = [value] if isinstance(value, str) else value
            if not isinstance(names, list) or not names or not all(isinstance(v, str) and v for v in names):
                raise ConfigError(f"config {at}: expected a list of column names")
            key = tuple(names)
        elif role not in ROLES:
            raise ConfigError(f"config {at}: unknown role", hint=f"roles: {', '.join((*ROLES, 'key'))}")
        elif not isinstance(value, str) or not value:
            raise ConfigError(f"config {at}: expected a column name (a string)")
        else:
            roles[role] = value
    ops_raw = raw.get("operations", {})
    if not isinstance(ops_raw, dict):
        raise ConfigError(f"config {where} operations: expected a table ([tables.{name}.operations])")
    ops = {"insert": "INSERT", "update": "UPDATE", "delete": "DELETE"}
    for op, spelled in ops_raw.items():
        at = f"[tables.{name}.operations] {op}"
        if op not in _OPERATIONS:
            raise ConfigError(f"config {at}: unknown operation", hint="operations: insert, update, delete")
        if not isinstance(spelled, str | int) or isinstance(spelled, bool):
            raise ConfigError(f"config {at}: expected a string")
        ops[op] = str(spelled)
    if len(set(ops.values())) < 3:
        raise ConfigError(f"config [tables.{name}.operations]: two operations have the same spelling")
    means = raw.get("data_means", "after")
    if means not in ("after", "before"):
        raise ConfigError(f"config {where} data_means: expected \"after\" or \"before\", got {means!r}")
    return Layout(Shape(shape_raw), roles, key, ops["insert"], ops["update"], ops["delete"], means,
                  _opt_str(raw.get("table_value"), f"{where} table_value"))
