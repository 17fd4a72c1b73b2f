"""django-simple-history: ``<app>_historical<model>``, the state after each change with ``+ ~ -``."""

from __future__ import annotations

from collections.abc import Collection

from chrono_cli.conventions.api import Convention, Signature, TableSign, Traits


def related(name: str, all_names: Collection[str]) -> set[str]:
    """``<app>_historical<model>`` of ``name`` and its m2m history tables (with their live link tables)."""
    names = set(all_names)
    out: set[str] = set()
    parts = name.split("_")
    for i in range(1, len(parts)):
        hist = "_".join(parts[:i]) + "_historical" + "_".join(parts[i:])
        if hist in names:
            out.add(hist)
            fields = [n[len(hist) + 1:] for n in names if n.startswith(hist + "_")]
            out |= {f"{hist}_{f}" for f in fields} | ({f"{name}_{f}" for f in fields} & names)
    return out

CONVENTION = Convention.declare(
    Signature("chrono_cli.conventions.builtin.simple_history.convention:CONVENTION",
              bulk="chrono_cli.conventions.builtin.simple_history.convention:bulk",
              tables=(TableSign(columns=("history_date", "history_type", "history_change_reason"),
                                key=("history_id",)),),
              related=related),
    name="simple-history", title="django-simple-history", shape="new-state", traits=Traits(records_actor=True),
    after=("continuum",))
