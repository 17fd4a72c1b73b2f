"""Detecting a paired old-state store: the base table's key + an integer ``version``, next to its base table.

Evidence and near misses (degradations) for history_meta, Chrononaut 0.2 and plugins of the same shape.
"""

from __future__ import annotations

from chrono_cli.conventions.base import Degradation
from chrono_cli.conventions.types import col, col_is, is_integer
from chrono_cli.db.reflect import TableInfo

NEW_STATE_MARKERS = ("transaction_id", "operation_type", "end_transaction_id")  # a new-state version table's


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


def version_store(store: TableInfo) -> bool:
    """A ``version`` column that makes ``store`` a version store: in its key, or next to changed/change_info."""
    if "version" not in store.columns or any(c in store.columns for c in NEW_STATE_MARKERS):
        return False
    return "version" in store.pk or "changed" in store.columns or "change_info" in store.columns


def joined_child(store: TableInfo) -> bool:
    """Joined inheritance: the history table's (id, version) refers to the parent's history table."""
    return any("version" in fk.columns for fk in store.foreign_keys)


def pair_shape(store: TableInfo, base: TableInfo) -> tuple[list[str], list[Degradation]]:
    """Evidence and near misses of a store keyed by its base table's key + version."""
    evidence = versioned_pair(store, base)
    if evidence is not None:
        return evidence, []
    evidence, degraded = [f"{store.ref.name}.version next to {base.ref.name}"], []
    v = col(store, "version")
    if v is None or not is_integer(v.type):
        degraded.append(Degradation(f"{store.ref.name}.version is not an integer column"))
    expected = (*base.pk, "version")
    if set(store.pk) != set(expected):
        degraded.append(Degradation(f"primary key of {store.ref.name} is ({', '.join(store.pk)}), "
                                    f"not ({', '.join(expected)})"))
    if col_is(base, "version", is_integer):
        evidence.append(f"{base.ref.name}.version integer")
    elif joined_child(store):
        evidence.append(f"joined inheritance: {store.ref.name}'s version refers to the parent's history table")
    else:
        degraded.append(Degradation(f"{base.ref.name} has no integer version column"))
    return evidence, degraded
