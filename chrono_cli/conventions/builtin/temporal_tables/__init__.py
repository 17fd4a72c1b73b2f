"""temporal_tables' ``versioning()`` trigger (C extension or nearform's pure-SQL function): ``sys_period``."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Signature, TableSign

CONVENTION = Convention.declare(
    Signature("chrono_cli.conventions.builtin.temporal_tables.convention:CONVENTION",
              bulk="chrono_cli.conventions.builtin.temporal_tables.convention:bulk",
              tables=(TableSign(suffix="_history"),
                      TableSign(trigger="versioning")),
              paired_suffixes=("_history",)),
    name="temporal-tables", title="temporal_tables versioning() trigger", shape="period", after=("periods",),
    facts=("triggers",))
