"""check-migrations for layouts declared in chrono.toml: their subjects (their comparator: shapes/check.py)."""

from __future__ import annotations

from chrono_cli import conventions
from chrono_cli.config import Config
from chrono_cli.conventions import declared
from chrono_cli.conventions.shapes.common import DeclaredOptions
from chrono_cli.db.reflect import SchemaSnapshot
from chrono_cli.services.check.registry import Subject


def with_declared(snapshot: SchemaSnapshot, config: Config, subjects: list[Subject]) -> list[Subject]:
    """``subjects`` with each declared layout replacing whatever pairing found for its tables."""
    mine: list[Subject] = []
    for name, tcfg, base in declared.declared_tables(snapshot, config):
        layout = tcfg.layout
        assert layout is not None
        spec = conventions.get(layout.shape.value).check
        assert spec is not None
        ref = declared.history_ref(base, tcfg)
        store = base if ref is None else snapshot.get(ref)
        if store is None:
            mine.append(Subject(layout.shape.value, spec, base, None, tcfg, store_ref=ref, declared=True))
            continue
        dec = declared.resolve(name, tcfg, base, store)
        mine.append(Subject(layout.shape.value, spec, base, store, tcfg, declared=True, options=DeclaredOptions(dec)))
    claimed = {s.table for s in mine} | {s.history for s in mine if s.history is not None}
    return [s for s in subjects if s.table not in claimed and s.history not in claimed] + mine
