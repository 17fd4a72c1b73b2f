"""Flask-Potion's HistoryMixin recipe: ``history_record`` of ``[{attribute, old, new}]`` diffs."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Signature, TableSign, Traits

CONVENTION = Convention.declare(
    Signature("chrono_cli.conventions.builtin.potion.convention:CONVENTION",
              bulk="chrono_cli.conventions.builtin.potion.convention:bulk",
              tables=(TableSign(name="history_record", columns=("object_type", "object_id", "updated_at", "changes")),),
              singleton_stores=("history_record",)),
    name="potion", title="Flask-Potion history_record", shape="json-diff",
    traits=Traits(records_inserts=False, records_deletes=False), after=("chrononaut-activity",))
