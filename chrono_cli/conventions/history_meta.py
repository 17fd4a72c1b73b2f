"""SQLAlchemy's versioned_history example (history_meta.py): ``<table>_history`` holding old states."""

from __future__ import annotations

from collections.abc import Iterator

from chrono_cli.conventions.base import ConventionAdapter, Detection, EventQuery, ReadContext
from chrono_cli.conventions.events import old_state_events
from chrono_cli.conventions.oldstate import OldStateLayout, read_old_state
from chrono_cli.conventions.types import col, col_is, is_integer, is_timestamp
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.model import RowChange, RowKey, Version

META = frozenset({"version", "changed"})
FOREIGN_MARKERS = ("change_info", "transaction_id", "operation_type", "end_transaction_id")
LAYOUT = OldStateLayout(meta_columns=META, first_version=1)


def versioned_pair(store: TableInfo, base: TableInfo) -> list[str] | None:
    """Evidence that ``store`` is a version-keyed copy of ``base``, or None."""
    v = col(store, "version")
    if v is None or not is_integer(v.type) or v.nullable or "version" not in store.pk:
        return None
    if set(store.pk) != set(base.pk) | {"version"} or not base.pk:
        return None
    if not col_is(base, "version", is_integer):
        return None
    return [f"{store.ref.name}.version integer NOT NULL in primary key ({', '.join(store.pk)})",
            f"primary key of {store.ref.name} = primary key of {base.ref.name} + version",
            f"{base.ref.name}.version integer"]


class HistoryMetaAdapter(ConventionAdapter):
    """SQLAlchemy examples/versioned_history: history rows are the state before each change."""

    name = "history-meta"
    title = "SQLAlchemy history_meta"
    paired_suffixes = ("_history",)

    def detect(self, snapshot: SchemaSnapshot) -> Iterator[Detection]:
        for store in snapshot:
            name = store.ref.name
            if not name.endswith("_history") or any(m in store.columns for m in FOREIGN_MARKERS):
                continue
            base = snapshot.sibling(store.ref, name[: -len("_history")])
            if base is None:
                continue
            evidence = versioned_pair(store, base)
            if evidence is None or not col_is(store, "changed", is_timestamp):
                continue
            missing = [c for c in base.columns if c != "version" and c not in store.columns]
            if missing:
                continue  # history_meta copies every column; a subset is another convention or drift
            evidence.append(f"{name}.changed timestamp, no change_info")
            evidence.append(f"{name} has every column of {base.ref.name}")
            base_version = col(base, "version")
            if base_version is not None and not base_version.nullable:
                evidence.append(f"{base.ref.name}.version NOT NULL")
            yield Detection(self.name, base.ref, store.ref, base.pk, version_col="version", time_col="changed",
                            score=len(evidence), evidence=tuple(evidence))

    def versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        return read_old_state(ctx, det, key, LAYOUT)

    def events(self, ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
        return old_state_events(ctx, det, query, META, None)
