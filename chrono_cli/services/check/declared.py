"""check-migrations for layouts declared in chrono.toml: their subjects (their comparator: shapes/check.py)."""

from __future__ import annotations

from chrono_cli import conventions
from chrono_cli.config import Config
from chrono_cli.conventions import declared
from chrono_cli.db.reflect import SchemaSnapshot
from chrono_cli.services.check.registry import Subject


def with_declared(snapshot: SchemaSnapshot, config: Config, subjects: list[Subject]) -> list[Subject]:
    """``subjects`` plus a subject for each declared layout whose history table is gone (detection leaves those
    to check-migrations; a detected declared layout already has its subject), in place of what pairing guessed."""
    mine: list[Subject] = []
    for _name, tcfg, base in declared.declared_tables(snapshot, config):
        layout = tcfg.layout
        ref = declared.history_ref(base, tcfg)
        if layout is None or ref is None or snapshot.get(ref) is not None:
            continue
        spec = conventions.get(layout.shape.value).check
        assert spec is not None
        mine.append(Subject(layout.shape.value, spec, base, None, tcfg, store_ref=ref, declared=True))
    claimed = {s.table for s in mine}
    return [s for s in subjects if s.table not in claimed] + mine
