"""Chrononaut 0.1/0.2 (layout A): ``<table>_history`` with version, changed and change_info."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from chrono_cli.conventions.base import ConventionAdapter, Detection, EventQuery, ReadContext
from chrono_cli.conventions.events import old_state_events
from chrono_cli.conventions.history_meta import versioned_pair
from chrono_cli.conventions.oldstate import OldStateLayout, read_old_state
from chrono_cli.conventions.types import col_is, is_json, is_text, is_timestamp
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.model import RowChange, RowKey, Version

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


def _is_store(store: TableInfo) -> bool:
    return (col_is(store, "changed", is_timestamp)
            and col_is(store, "change_info", lambda t: is_json(t) or is_text(t))
            and not any(m in store.columns for m in FOREIGN_MARKERS))


def _find_base(snapshot: SchemaSnapshot, store: TableInfo) -> TableInfo | None:
    name = store.ref.name
    if name.endswith("_history"):
        base = snapshot.sibling(store.ref, name[: -len("_history")])
        if base is not None:
            return base
    # custom __chrononaut_tablename__: the table whose columns cover the store's data columns
    data = {c for c in store.columns if c not in META}
    key = set(store.pk) - {"version"}
    matches = [t for t in snapshot if t.ref.schema == store.ref.schema and t is not store
               and set(t.pk) == key and data <= set(t.columns) and "version" in t.columns
               and "change_info" not in t.columns]
    return matches[0] if len(matches) == 1 else None


class ChrononautAdapter(ConventionAdapter):
    """Chrononaut 0.1-0.2: history rows are the state before each change; change_info says who and why."""

    name = "chrononaut"
    title = "Chrononaut 0.2 (<table>_history)"
    paired_suffixes = ("_history",)

    def detect(self, snapshot: SchemaSnapshot) -> Iterator[Detection]:
        for store in snapshot:
            if not _is_store(store):
                continue
            base = _find_base(snapshot, store)
            if base is None:
                continue
            evidence = versioned_pair(store, base)
            if evidence is None:
                continue
            extra = sorted(c for c in store.columns if c not in META and c not in base.columns)
            if extra:
                continue
            evidence.append(f"{store.ref.name}.changed timestamp and change_info JSON")
            unrecorded = [c for c in base.columns if c not in store.columns]
            if unrecorded:
                evidence.append(f"not in history (hidden/untracked): {', '.join(unrecorded)}")
            if not store.ref.name.endswith("_history"):
                evidence.append(f"custom history table name, matched by shape to {base.ref.name}")
            yield Detection(self.name, base.ref, store.ref, base.pk, version_col="version", time_col="changed",
                            score=len(evidence), evidence=tuple(evidence))

    def versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        return read_old_state(ctx, det, key, LAYOUT)

    def events(self, ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
        return old_state_events(ctx, det, query, META, change_info)
