"""django-pghistory: ``<app>_<model>event`` tables filled by pgtrigger triggers, contexts in ``pghistory_context``."""

from __future__ import annotations

from collections.abc import Collection

from chrono_cli.conventions.api import Convention, Signature, TableSign, Traits

CONTEXTS = "pghistory_context"


def related(name: str, all_names: Collection[str]) -> set[str]:
    """The event tables and the contexts table."""
    return {n for n in all_names if n.endswith("event")} | ({CONTEXTS} & set(all_names))

CONVENTION = Convention.declare(
    Signature("chrono_cli.conventions.builtin.pghistory.convention:CONVENTION",
              bulk="chrono_cli.conventions.builtin.pghistory.convention:bulk",
              tables=(TableSign(columns=("pgh_created_at", "pgh_label", "pgh_obj_id"), key=("pgh_id",)),),
              singleton_stores=("pghistory_context",),
              related=related),
    name="pghistory", title="django-pghistory", shape="new-state", traits=Traits(records_actor=True),
    facts=("triggers",))
