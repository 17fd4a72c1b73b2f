"""SQLAlchemy examples/versioned_history (history_meta.py): ``<table>_history`` holding old states."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Signature, TableSign, Traits

CONVENTION = Convention.declare(
    Signature("chrono_cli.conventions.builtin.history_meta.convention:CONVENTION",
              bulk="chrono_cli.conventions.builtin.history_meta.convention:bulk",
              tables=(TableSign(suffix="_history", columns=("version",)),),
              paired_suffixes=("_history",)),
    name="history-meta", title="SQLAlchemy history_meta", shape="old-state", traits=Traits(records_inserts=False),
    after=("chrononaut",))
