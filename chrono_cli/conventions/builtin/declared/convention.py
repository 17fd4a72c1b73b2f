"""The parts of the declared-layout conventions: each shape engine's adapter, writer and drift rules."""

from __future__ import annotations

from chrono_cli.conventions.builtin.declared import CONVENTIONS as DECLARED
from chrono_cli.conventions.checkspec import CheckSpec, StoreKind
from chrono_cli.conventions.shapes.adapters import ADAPTERS
from chrono_cli.conventions.shapes.check import declared_drift
from chrono_cli.conventions.shapes.in_table_write import InTableWriter
from chrono_cli.conventions.shapes.write import WRITERS

# check-migrations compares declared tables with their roles and triggers (shapes/check.py)
_STORES = {"in-table": StoreKind.IN_TABLE, "json-snapshot": StoreKind.SHARED, "json-diff": StoreKind.SHARED}

CONVENTIONS = [
    c.with_parts(detector=ADAPTERS[c.name], reader=ADAPTERS[c.name], lister=ADAPTERS[c.name],
                 writer=WRITERS.get(c.name) or InTableWriter(),
                 check=CheckSpec(_STORES.get(c.name, StoreKind.PAIRED), comparators=(declared_drift,)))
    for c in DECLARED]
