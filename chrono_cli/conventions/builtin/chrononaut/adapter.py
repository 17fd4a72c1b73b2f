"""Chrononaut 0.1/0.2 (layout A): ``<table>_history`` with version, changed and change_info."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from chrono_cli.conventions.base import Degradation, Detection
from chrono_cli.conventions.builtin.history_meta.adapter import chrononaut_without_info
from chrono_cli.conventions.drift import column_drift
from chrono_cli.conventions.shapes.old_state import OldStateAdapter, OldStateLayout
from chrono_cli.conventions.shapes.old_state_detect import pair_shape, version_store
from chrono_cli.conventions.types import col, col_is, is_json, is_text, is_timestamp
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo

META = frozenset({"version", "changed", "change_info"})
FOREIGN_MARKERS = ("transaction_id", "operation_type", "end_transaction_id")


def change_info(row: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """Actor, reason and note from a ``change_info`` JSON value."""
    info = row.get("change_info")
    if isinstance(info, str):
        try:
            info = json.loads(info)
        except ValueError:
            return None, None, None
    if not isinstance(info, dict):
        return None, None, None
    actor = info.get("user_id")
    extra = info["extra"] if isinstance(info.get("extra"), dict) else {}
    reason = extra.get("rationale", info.get("rationale"))
    hidden = info.get("hidden_cols_changed")
    note = f"hidden columns changed: {', '.join(map(str, hidden))}" if hidden else None
    return (None if actor is None else str(actor), None if reason is None else str(reason), note)


LAYOUT = OldStateLayout(meta_columns=META, first_version=0, meta=change_info)


def _has_info(store: TableInfo) -> bool:
    return col_is(store, "change_info", lambda t: is_json(t) or is_text(t))


def _is_store(store: TableInfo) -> bool:
    return (col_is(store, "changed", is_timestamp) and _has_info(store)
            and not any(m in store.columns for m in FOREIGN_MARKERS))


def _find_base(snapshot: SchemaSnapshot, store: TableInfo) -> tuple[TableInfo, bool] | None:
    """The base table of ``store`` and whether it was found by name."""
    name = store.ref.name
    if name.endswith("_history"):
        base = snapshot.sibling(store.ref, name[: -len("_history")])
        if base is not None:
            return base, True
    # custom __chrononaut_tablename__: the table with the store's key whose columns cover most of its data
    data = {c for c in store.columns if c not in META}
    key = set(store.pk) - {"version"}
    scored = sorted(((len(data & set(t.columns)), t) for t in snapshot
                     if t.ref.schema == store.ref.schema and t is not store and set(t.pk) == key
                     and "version" in t.columns and "change_info" not in t.columns), key=lambda st: -st[0])
    best = [t for score, t in scored if score == scored[0][0]] if scored else []
    return (best[0], False) if len(best) == 1 and scored[0][0] * 2 > len(data) else None


class ChrononautAdapter(OldStateAdapter):
    """Chrononaut 0.1-0.2: history rows are the state before each change; change_info says who and why."""

    name = "chrononaut"
    title = "Chrononaut 0.2 (<table>_history)"
    paired_suffixes = ("_history",)
    layout = LAYOUT

    def detect(self, snapshot: SchemaSnapshot) -> Iterator[Detection]:
        for store in snapshot:
            if any(m in store.columns for m in FOREIGN_MARKERS) or not version_store(store):
                continue
            if _has_info(store):
                found = _find_base(snapshot, store)
            else:
                named = store.ref.name.endswith("_history")
                sibling = snapshot.sibling(store.ref, store.ref.name[: -len("_history")]) if named else None
                found = (sibling, True) if sibling is not None else None
            det = self._pair(found[0], store, by_name=found[1]) if found is not None else None
            if det is not None:
                yield det

    def pair(self, snapshot: SchemaSnapshot, base: TableInfo, store: TableInfo) -> Detection | None:
        if any(m in store.columns for m in FOREIGN_MARKERS) or not version_store(store):
            return None
        return self._pair(base, store, by_name=True)

    def _pair(self, base: TableInfo, store: TableInfo, *, by_name: bool) -> Detection | None:
        degraded: list[Degradation] = []
        if not _has_info(store):
            if not chrononaut_without_info(store, base):
                return None
            degraded.append(Degradation(f"{store.ref.name} has no change_info column (Chrononaut writes who "
                                        "and why there)"))
        if not base.pk:
            return None
        evidence, shape = pair_shape(store, base)
        degraded += shape
        changed = col(store, "changed")
        if changed is None or not is_timestamp(changed.type):
            degraded.append(Degradation(f"{store.ref.name}.changed is missing or not a timestamp"))
        elif _has_info(store):
            evidence.append(f"{store.ref.name}.changed timestamp and change_info JSON")
        else:
            evidence.append(f"{store.ref.name}.changed timestamp with time zone, {base.ref.name}.version "
                            "nullable: Chrononaut's layout")
        unrecorded = [c for c in base.columns if c not in store.columns]
        if unrecorded:
            evidence.append(f"not in history (hidden/untracked): {', '.join(unrecorded)}")
        degraded += column_drift(base, store, [c for c in store.columns if c not in META], report_missing=False)
        if not by_name:
            evidence.append(f"custom history table name, matched by shape to {base.ref.name}")
        return Detection(self.name, base.ref, store.ref, base.pk, version_col="version",
                         time_col="changed" if changed is not None else None,
                         score=len(evidence), evidence=tuple(evidence), degraded=tuple(degraded))
