"""Convention adapters, in detection order, and the detection pass over a schema snapshot."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from chrono_cli.config import Config
from chrono_cli.conventions.base import Capability, ConventionAdapter, Detection, ReadContext
from chrono_cli.conventions.chrononaut import ChrononautAdapter
from chrono_cli.conventions.chrononaut_activity import ChrononautActivityAdapter
from chrono_cli.conventions.continuum import ContinuumAdapter
from chrono_cli.conventions.history_meta import HistoryMetaAdapter
from chrono_cli.conventions.potion import PotionAdapter
from chrono_cli.conventions.simple_history import SimpleHistoryAdapter
from chrono_cli.conventions.soft_delete import SoftDeleteAdapter, archive_column
from chrono_cli.conventions.versioned_rows import VersionedRowsAdapter
from chrono_cli.db.reflect import SchemaSnapshot
from chrono_cli.errors import UsageError
from chrono_cli.model import TableRef

# Strong signatures first: paired stores, then one-per-database stores, in-table versions, archive columns.
ADAPTERS: tuple[ConventionAdapter, ...] = (
    ContinuumAdapter(),
    SimpleHistoryAdapter(),
    ChrononautAdapter(),
    HistoryMetaAdapter(),
    ChrononautActivityAdapter(),
    PotionAdapter(),
    VersionedRowsAdapter(),
    SoftDeleteAdapter(),
)

__all__ = ["ADAPTERS", "Capability", "ConventionAdapter", "Detection", "ReadContext", "detect", "get", "names"]


def names() -> list[str]:
    return [a.name for a in ADAPTERS]


def get(name: str) -> ConventionAdapter:
    """The adapter called ``name`` (the ``--convention`` value)."""
    # --- declared layouts (chrono.toml [tables.X] layout): adapter name = shape name ---
    from chrono_cli.conventions.shapes.adapters import ADAPTERS as DECLARED

    if name in DECLARED:
        return DECLARED[name]
    # ---
    for adapter in ADAPTERS:
        if adapter.name == name:
            return adapter
    raise UsageError(f"unknown convention: {name}", hint=f"one of: {', '.join(names())}")


def store_names() -> set[str]:
    """Names of one-per-database stores, for targeted reflection."""
    return {s for a in ADAPTERS for s in a.singleton_stores}


def related(name: str, all_names: Collection[str]) -> set[str]:
    """Tables some adapter needs besides ``name`` to read its history (from the names of its schema)."""
    return {r for a in ADAPTERS for r in a.related(name, all_names)}


def paired_suffixes() -> set[str]:
    return {s for a in ADAPTERS for s in a.paired_suffixes}


def detect(snapshot: SchemaSnapshot, config: Config) -> list[Detection]:
    """Every detection in the snapshot; a table that is some convention's store is never a live table."""
    found: list[Detection] = []
    for adapter in ADAPTERS:
        found.extend(adapter.detect(snapshot))
    # --- declared layouts replace detection on their tables; their stores are never live tables ---
    from chrono_cli.conventions import declared

    mine = declared.detect(snapshot, config)
    claimed = {d.live for d in mine} | {d.store for d in mine}
    found = [d for d in found if d.live not in claimed] + mine
    # ---
    stores = {d.store for d in found if not d.in_table and not d.confirm}
    stores |= {t.ref for t in snapshot if t.ref.name in store_names()}
    kept = [d for d in found if d.live not in stores]
    return [d for d in kept if _allowed(d, config, snapshot)] + _declared_archives(snapshot, config, kept)


def _allowed(det: Detection, config: Config, snapshot: SchemaSnapshot) -> bool:
    tcfg = config.table(det.live.name, det.live.schema)
    if tcfg.ignore:
        return False
    if det.adapter == "soft-delete" and tcfg.archive_column:
        return False  # replaced by the declared column below
    if tcfg.convention and det.adapter != "soft-delete" and det.adapter != tcfg.convention:
        return False
    if tcfg.history and not det.in_table and tcfg.history not in (det.store.name, str(det.store)):
        return False
    return True


def _declared_archives(snapshot: SchemaSnapshot, config: Config, kept: Iterable[Detection]) -> list[Detection]:
    out: list[Detection] = []
    for t in snapshot:
        declared = config.table(t.ref.name, t.ref.schema).archive_column
        if not declared:
            continue
        found = archive_column(t, declared)
        if found is None:
            raise UsageError(f"config declares archive_column {declared!r} for {t.ref}, "
                             "but it is not a boolean or nullable timestamp column")
        column, kind, evidence = found
        out.append(Detection("soft-delete", t.ref, t.ref, t.pk, time_col=column if kind == "timestamp" else None,
                             score=len(evidence), evidence=tuple(evidence), options={"column": column, "kind": kind}))
    return out


def for_table(detections: Iterable[Detection], ref: TableRef) -> list[Detection]:
    return [d for d in detections if d.live == ref]
