"""Chrononaut 0.3-0.4: one ``chrononaut_activity`` table of JSON snapshots (the state after each change)."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Signature, TableSign, Traits

CONVENTION = Convention.declare(
    Signature("chrono_cli.conventions.builtin.chrononaut_activity.convention:CONVENTION",
              bulk="chrono_cli.conventions.builtin.chrononaut_activity.convention:bulk",
              tables=(TableSign(name="chrononaut_activity",
                                columns=("id", "table_name", "changed", "version", "key", "data", "user_info",
                                         "extra_info")),),
              singleton_stores=("chrononaut_activity",)),
    name="chrononaut-activity", title="Chrononaut 0.4 (chrononaut_activity)", shape="json-snapshot",
    traits=Traits(records_actor=True), after=("history-meta",))
