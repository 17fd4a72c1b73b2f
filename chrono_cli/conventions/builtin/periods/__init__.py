"""The PostgreSQL ``periods`` extension (SQL:2016 system versioning): ``<table>_history`` kept by its triggers."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Signature, TableSign

CONVENTION = Convention.declare(
    Signature("chrono_cli.conventions.builtin.periods.convention:CONVENTION",
              bulk="chrono_cli.conventions.builtin.periods.convention:bulk",
              tables=(TableSign(fact="periods"),),
              paired_suffixes=("_history",)),
    name="periods", title="PostgreSQL periods extension (system versioning)", shape="period",
    facts=("periods", "triggers"))
