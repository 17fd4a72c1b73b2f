"""SQLAlchemy's versioned_history example (history_meta.py): ``<table>_history`` holding old states."""

from __future__ import annotations

from collections.abc import Iterator

from chrono_cli.conventions.base import Degradation, Detection
from chrono_cli.conventions.drift import column_drift
from chrono_cli.conventions.shapes.old_state import OldStateAdapter, OldStateLayout
from chrono_cli.conventions.shapes.old_state_detect import NEW_STATE_MARKERS, pair_shape, version_store
from chrono_cli.conventions.types import col, has_timezone, is_timestamp
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo

META = frozenset({"version", "changed"})
FOREIGN_MARKERS = ("change_info", *NEW_STATE_MARKERS)
LAYOUT = OldStateLayout(meta_columns=META, first_version=1, appended_unwritten=True)


def chrononaut_without_info(store: TableInfo, base: TableInfo) -> bool:
    """Chrononaut 0.2 writes an aware ``changed`` next to a nullable base version; history_meta neither."""
    changed, version = col(store, "changed"), col(base, "version")
    return (changed is not None and has_timezone(changed.type) and version is not None and version.nullable
            and "change_info" not in store.columns)


class HistoryMetaAdapter(OldStateAdapter):
    """SQLAlchemy examples/versioned_history: history rows are the state before each change."""

    name = "history-meta"
    title = "SQLAlchemy history_meta"
    paired_suffixes = ("_history",)
    layout = LAYOUT

    def detect(self, snapshot: SchemaSnapshot) -> Iterator[Detection]:
        for store in snapshot:
            name = store.ref.name
            if not name.endswith("_history"):
                continue
            base = snapshot.sibling(store.ref, name[: -len("_history")])
            det = self.pair(snapshot, base, store) if base is not None else None
            if det is not None:
                yield det

    def pair(self, snapshot: SchemaSnapshot, base: TableInfo, store: TableInfo) -> Detection | None:
        name = store.ref.name
        if any(m in store.columns for m in FOREIGN_MARKERS) or not version_store(store) or not base.pk \
                or chrononaut_without_info(store, base):
            return None
        evidence, degraded = pair_shape(store, base)
        changed = col(store, "changed")
        if changed is None:
            evidence.append(f"{name} has no changed column (optional): versions carry no times")
        elif not is_timestamp(changed.type):
            degraded.append(Degradation(f"{name}.changed is not a timestamp"))
        else:
            evidence.append(f"{name}.changed timestamp, no change_info")
        if all(c == "version" or c in store.columns for c in base.columns):
            evidence.append(f"{name} has every column of {base.ref.name}")
        degraded += column_drift(base, store, [c for c in store.columns if c not in META], skip={"version"})
        base_version = col(base, "version")
        if base_version is not None and not base_version.nullable:
            evidence.append(f"{base.ref.name}.version NOT NULL")
        return Detection(self.name, base.ref, store.ref, base.pk, version_col="version",
                         time_col="changed" if changed is not None else None,
                         score=len(evidence), evidence=tuple(evidence), degraded=tuple(degraded))
