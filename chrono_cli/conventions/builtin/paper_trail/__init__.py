"""Rails PaperTrail (12.x): the ``versions`` table of one or many models, YAML or JSON documents."""

from __future__ import annotations

from collections.abc import Collection

from chrono_cli.conventions.api import Convention, Signature, TableSign, Traits


def related(name: str, all_names: Collection[str]) -> set[str]:
    """Per-model version tables (``class_name: "PostVersion"``: ``post_versions``)."""
    return {n for n in all_names if n.endswith("_versions")}

CONVENTION = Convention.declare(
    Signature("chrono_cli.conventions.builtin.paper_trail.convention:CONVENTION",
              bulk="chrono_cli.conventions.builtin.paper_trail.convention:bulk",
              tables=(TableSign(columns=("item_type", "item_id", "event", "object", "created_at")),),
              singleton_stores=("versions",),
              related=related),
    name="paper-trail", title="Rails PaperTrail", shape="json-snapshot", traits=Traits(records_actor=True))
