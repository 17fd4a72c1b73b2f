"""Conventions: the registry every command consults, and the one detection pass over a schema snapshot."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING

from chrono_cli.config import Config, TableConfig
from chrono_cli.conventions.api import Capability, Convention, Traits
from chrono_cli.conventions.base import ArchiveOptions, ConventionAdapter, Detection, ReadContext
from chrono_cli.conventions.registry import default as registry
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.errors import ConfigError, UnsupportedOperation, UsageError
from chrono_cli.model import TableRef
from chrono_cli.records import replace

if TYPE_CHECKING:
    from chrono_cli.conventions.writes.base import ArchiveWriter

__all__ = ["Capability", "Convention", "ConventionAdapter", "Detection", "ReadContext", "Traits", "detect", "get",
           "names", "registry"]


def names() -> list[str]:
    return registry().names()


def get(name: str) -> Convention:
    """The convention called ``name`` (the ``--convention`` value)."""
    return registry().get(name)


def of(det: Detection) -> Convention:
    """The convention that made a detection."""
    return registry().get(det.adapter)


def is_history(det: Detection) -> bool:
    """Whether the detection's store holds versions (not only an archive column)."""
    return bool(of(det).capabilities & Capability.HISTORY)


def is_archive(det: Detection) -> bool:
    return of(det).traits.archive


def catalog_facts() -> frozenset[str]:
    """The catalog facts the loaded conventions need, read with every reflection."""
    return frozenset(f for c in registry() for f in c.facts)


def archiver(det: Detection) -> ArchiveWriter:
    """The writer of an archive-column detection (what the column holds, and the rows it hides)."""
    from chrono_cli.conventions.writes.base import ArchiveWriter

    writer = of(det).write()
    if not isinstance(writer, ArchiveWriter):
        raise UnsupportedOperation(f"{det.adapter} is not an archive column convention")
    return writer


def store_names() -> set[str]:
    """Names of one-per-database stores, for targeted reflection."""
    return {s for c in registry() for s in c.singleton_stores}


def related(name: str, all_names: Collection[str]) -> set[str]:
    """Tables some convention needs besides ``name`` to read its history (from the names of its schema)."""
    return {r for c in registry() for r in c.related(name, all_names)}


def paired_suffixes() -> set[str]:
    return {s for c in registry() for s in c.paired_suffixes}


def detect(snapshot: SchemaSnapshot, config: Config, *, missing_ok: bool = False) -> list[Detection]:
    """Every detection in the snapshot, near misses (degraded) included where nothing matches cleanly;
    a table that is some convention's store is never a live table.

    A configuration naming an unknown convention, or a history table the schema does not have, is an error
    (with ``missing_ok`` a missing history table is left to check-migrations to report)."""
    _check_config(snapshot, config, missing_ok=missing_ok)
    found: list[Detection] = []
    for conv in registry():
        found.extend(_declared_drift(d, config) for d in conv.detect(snapshot))
    for t in snapshot:  # [tables.X] history = "...": the store config names, under a convention that fits it
        tcfg = config.table(t.ref.name, t.ref.schema)
        schema, _, name = (tcfg.history or "").rpartition(".")
        store = snapshot.get(TableRef(schema or t.ref.schema, name)) if name else None
        if store is None or any(d.live == t.ref and d.store == store.ref and not d.confirm for d in found):
            continue
        for conv in sorted(registry(), key=lambda c: c.name != tcfg.convention):
            det = conv.detector.pair(snapshot, t, store)
            if det is not None:
                # declared: a shared store's row check (confirm) would miss a table config maps (e.g. model)
                found = [d for d in found if not (d.live == t.ref and d.store == store.ref)]
                evidence = (*det.evidence, f"declared in config: [tables.{t.ref.name}] history = {tcfg.history!r}")
                found.append(_declared_drift(replace(det, evidence=evidence), config))
                break
    clean = {d.live for d in found if not d.degraded and is_history(d)}
    found = [d for d in found if not d.degraded or d.live not in clean]
    # layouts declared in chrono.toml replace detection on their tables; their stores are never live tables
    from chrono_cli.conventions import declared

    mine = declared.detect(snapshot, config, missing_ok=missing_ok)
    claimed = {d.live for d in mine} | {d.store for d in mine}
    found = [d for d in found if d.live not in claimed] + mine
    stores = {d.store for d in found if not d.in_table and not d.confirm}
    stores |= {t.ref for t in snapshot if t.ref.name in store_names()}
    kept = [d for d in found if d.live not in stores]
    return [d for d in kept if _allowed(d, config, snapshot)] + _declared_archives(snapshot, config, kept)


def _check_config(snapshot: SchemaSnapshot, config: Config, *, missing_ok: bool) -> None:
    """Names in [tables.X] that would silently change what chrono shows: unknown conventions and stores."""
    known = registry().names()
    for name, tcfg in config.tables.items():
        if tcfg.convention is not None and tcfg.convention not in known:
            raise ConfigError(f"config [tables.{name}] convention: unknown convention {tcfg.convention!r}",
                              hint=f"one of: {', '.join(known)} (see 'chrono conventions')")
    if missing_ok:
        return
    for t in snapshot:
        tcfg = config.table(t.ref.name, t.ref.schema)
        _check_columns(t, tcfg)
        if tcfg.history is None or tcfg.layout is not None:
            continue  # declared layouts check their own history table
        schema, _, name = tcfg.history.rpartition(".")
        if snapshot.get(TableRef(schema or t.ref.schema, name)) is None:
            raise ConfigError(f"config [tables.{t.ref.name}] history: no table {tcfg.history!r} in the database",
                              hint="fix the name, or remove the line if the history table is gone")


_COLUMN_KEYS = ("hidden", "untracked", "excluded", "unrecorded", "columns")


def _check_columns(info: TableInfo, tcfg: TableConfig) -> None:
    """Every base column [tables.X] names exists: a misspelt name would silently change what chrono shows."""
    named = [(key, c) for key in _COLUMN_KEYS
             for c in (tcfg.not_recorded if key == "unrecorded" else getattr(tcfg, key))]
    named += [(key, c) for key in ("archive_column", "discriminator") if (c := getattr(tcfg, key)) is not None]
    for key, column in named:
        if column not in info.columns:
            raise ConfigError(f"config [tables.{info.ref.name}] {key}: no column {column!r} in {info.ref}",
                              hint=f"its columns: {', '.join(info.columns)}")


def _declared_drift(det: Detection, config: Config) -> Detection:
    """Columns the config declares unrecorded (hidden, untracked, excluded) are no drift."""
    declared = set(config.table(det.live.name, det.live.schema).unrecorded)
    if not det.degraded or not declared:
        return det
    return replace(det, degraded=tuple(d for d in det.degraded if d.column not in declared))


def _allowed(det: Detection, config: Config, snapshot: SchemaSnapshot) -> bool:
    tcfg = config.table(det.live.name, det.live.schema)
    if tcfg.ignore:
        return False
    archive = is_archive(det)
    if archive and tcfg.archive_column:
        return False  # replaced by the declared column below
    if tcfg.convention and not archive and det.adapter != tcfg.convention:
        return False
    if tcfg.history and not det.in_table and tcfg.history not in (det.store.name, str(det.store)):
        return False
    return True


def _declared_archives(snapshot: SchemaSnapshot, config: Config, kept: Iterable[Detection]) -> list[Detection]:
    out: list[Detection] = []
    archive = next((c for c in registry() if c.traits.archive), None)
    for t in snapshot:
        declared = config.table(t.ref.name, t.ref.schema).archive_column
        if not declared:
            continue
        from chrono_cli.conventions.builtin.soft_delete.adapter import archive_column

        found = archive_column(t, declared)
        if archive is None:
            raise UsageError(f"config declares archive_column {declared!r} for {t.ref}, but no archive column "
                             "convention is loaded (see 'chrono conventions')")
        if found is None:
            raise UsageError(f"config declares archive_column {declared!r} for {t.ref}, "
                             "but it is not a boolean or nullable timestamp column")
        column, kind, evidence = found
        out.append(Detection(archive.name, t.ref, t.ref, t.pk, time_col=column if kind == "timestamp" else None,
                             score=len(evidence), evidence=tuple(evidence), options=ArchiveOptions(column, kind)))
    return out


def no_inserts(names: Iterable[str]) -> str | None:
    """'history-meta and chrononaut record' for the history conventions among ``names`` that record no inserts."""
    blind = [n for n in dict.fromkeys(names)
             if get(n).capabilities & Capability.HISTORY and not get(n).traits.records_inserts]
    if not blind:
        return None
    listed = blind[0] if len(blind) == 1 else ", ".join(blind[:-1]) + " and " + blind[-1]
    return f"{listed} record{'s' if len(blind) == 1 else ''}"
