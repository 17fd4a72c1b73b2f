"""Chrononaut 0.1-0.2: ``<table>_history`` holding the state before each change, with ``change_info``."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Signature, TableSign, Traits

CONVENTION = Convention.declare(
    Signature("chrono_cli.conventions.builtin.chrononaut.convention:CONVENTION",
              bulk="chrono_cli.conventions.builtin.chrononaut.convention:bulk",
              tables=(TableSign(columns=("version", "change_info")),
                      TableSign(suffix="_history", columns=("version",))),
              paired_suffixes=("_history",)),
    name="chrononaut", title="Chrononaut 0.2 (<table>_history)", shape="old-state",
    traits=Traits(records_inserts=False, records_actor=True), after=("simple-history",))
