"""Layouts users declare in chrono.toml (``[tables.X] layout = "..."``): one convention per shape engine.

They detect nothing by themselves: ``chrono_cli.conventions.declared`` turns the configuration into their
detections. History written by the table's own triggers is left to those triggers (the triggers decide the
actor and reason they record, and the plan says so); in-table versions are written by chrono itself.
"""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Traits
from chrono_cli.conventions.checkspec import CheckSpec, StoreKind
from chrono_cli.conventions.shapes.adapters import ADAPTERS
from chrono_cli.conventions.shapes.check import declared_drift
from chrono_cli.conventions.shapes.in_table import InTableWriter
from chrono_cli.conventions.shapes.write import WRITERS

# check-migrations compares declared tables with their roles and triggers (shapes/check.py)
_STORES = {"in-table": StoreKind.IN_TABLE, "json-snapshot": StoreKind.SHARED, "json-diff": StoreKind.SHARED}

CONVENTIONS = [
    Convention(name=name, title=adapter.title, shape=name, detector=adapter, reader=adapter, lister=adapter,
               writer=WRITERS.get(name) or InTableWriter(), traits=Traits(records_actor=True),
               check=CheckSpec(_STORES.get(name, StoreKind.PAIRED), comparators=(declared_drift,)),
               facts=("triggers",), after=("*",))
    for name, adapter in ADAPTERS.items()]
