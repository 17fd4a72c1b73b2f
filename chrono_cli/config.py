"""Configuration from chrono.toml or [tool.chrono] in pyproject.toml (stdlib tomllib)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chrono_cli.errors import ConfigError

_TABLE_KEYS = {"convention", "history", "hidden", "untracked", "excluded", "archive_column", "timezone",
               "columns", "discriminator", "ignore", "severity", "model"}


@dataclass(frozen=True, slots=True)
class TableConfig:
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

    @property
    def unrecorded(self) -> tuple[str, ...]:
        """Columns declared as not stored in history."""
        return self.hidden + self.untracked + self.excluded


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration; empty when no file is found."""

    database: str | None = None
    aliases: Mapping[str, str] = field(default_factory=dict)
    tables: Mapping[str, TableConfig] = field(default_factory=dict)
    hooks: Mapping[str, str] = field(default_factory=dict)
    actor: str | None = None
    source: Path | None = None

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


def _opt_str(value: Any, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ConfigError(f"config {where}: expected a string")


def _parse(data: Mapping[str, Any], source: Path) -> Config:
    aliases = data.get("aliases", {})
    if not isinstance(aliases, dict) or not all(isinstance(v, str) for v in aliases.values()):
        raise ConfigError(f"config {source}: [aliases] must map names to table names")
    tables: dict[str, TableConfig] = {}
    for name, raw in (data.get("tables") or {}).items():
        if not isinstance(raw, dict):
            raise ConfigError(f"config {source}: [tables.{name}] must be a table")
        unknown = set(raw) - _TABLE_KEYS
        if unknown:
            raise ConfigError(f"config {source}: unknown key(s) in [tables.{name}]: {', '.join(sorted(unknown))}",
                              hint=f"known keys: {', '.join(sorted(_TABLE_KEYS))}")
        where = f"[tables.{name}]"
        severity = raw.get("severity", {})
        if not isinstance(severity, dict):
            raise ConfigError(f"config {where}.severity must map finding kinds to severities")
        tables[name] = TableConfig(
            convention=_opt_str(raw.get("convention"), where), history=_opt_str(raw.get("history"), where),
            hidden=_strs(raw.get("hidden"), where), untracked=_strs(raw.get("untracked"), where),
            excluded=_strs(raw.get("excluded"), where),
            archive_column=_opt_str(raw.get("archive_column"), where),
            timezone=_opt_str(raw.get("timezone"), where), columns=_strs(raw.get("columns"), where),
            discriminator=_opt_str(raw.get("discriminator"), where), model=_opt_str(raw.get("model"), where),
            ignore=bool(raw.get("ignore", False)), severity=dict(severity))
    hooks = data.get("hooks", {})
    if not isinstance(hooks, dict):
        raise ConfigError(f"config {source}: [hooks] must be a table")
    return Config(database=_opt_str(data.get("database"), "database"), aliases=dict(aliases), tables=tables,
                  hooks={k: str(v) for k, v in hooks.items()}, actor=_opt_str(data.get("actor"), "actor"),
                  source=source)
