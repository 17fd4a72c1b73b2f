"""Layouts users declare in chrono.toml (``[tables.X] layout = "..."``): one convention per shape engine.

They detect nothing by themselves: ``chrono_cli.conventions.declared`` turns the configuration into their
detections. History written by the table's own triggers is left to those triggers (the triggers decide the
actor and reason they record, and the plan says so); in-table versions are written by chrono itself.
"""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Signature, Traits

TITLES = {"old-state": "declared old-state history table", "new-state": "declared new-state history table",
          "json-snapshot": "declared JSON snapshot log", "json-diff": "declared JSON diff log",
          "in-table": "declared in-table versions", "period": "declared period history table"}

# no table signs: detection never asks them (config does, through chrono_cli.conventions.declared)
CONVENTIONS = [Convention.declare(Signature("chrono_cli.conventions.builtin.declared.convention:CONVENTIONS"),
                                  name=name, title=title, shape=name, traits=Traits(records_actor=True),
                                  facts=("triggers",), after=("*",))
               for name, title in TITLES.items()]
