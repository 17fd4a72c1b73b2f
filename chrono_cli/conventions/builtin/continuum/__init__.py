"""SQLAlchemy-Continuum 2.x (and SQLAlchemy-History): ``<table>_version`` + ``transaction``, new states."""

from __future__ import annotations

from collections.abc import Collection

from chrono_cli.conventions.api import Convention, Signature, TableSign, Traits

TX_TABLE = "transaction"
SUFFIX = "_version"


def mentions(name: str, parent: str) -> bool:
    """Whether table ``name`` is named after ``parent`` (an association table's name holds its tables')."""
    variants = {parent, parent + "s", parent + "es", parent.removesuffix("s")} - {""}
    return any(name.startswith(p + "_") or name.endswith("_" + p) or f"_{p}_" in name for p in variants)


def related(name: str, all_names: Collection[str]) -> set[str]:
    """The transaction tables and the versioned association tables that mention ``name``."""
    names = set(all_names)
    if TX_TABLE not in names or name + SUFFIX not in names:
        return set()
    out = {TX_TABLE, "transaction_changes", "transaction_meta", name + SUFFIX} & names
    for n in names:
        base = n[: -len(SUFFIX)]
        if n.endswith(SUFFIX) and base in names and base != name and mentions(base, name):
            out |= {n, base}
    return out

CONVENTION = Convention.declare(
    Signature("chrono_cli.conventions.builtin.continuum.convention:CONVENTION",
              bulk="chrono_cli.conventions.builtin.continuum.convention:bulk",
              tables=(TableSign(name="transaction", columns=("id", "issued_at")),),
              related=related),
    name="continuum", title="SQLAlchemy-Continuum", shape="new-state",
    traits=Traits(records_actor=True, exact_changesets=True),
    facts=("triggers",))  # native versioning: the triggers that write the version rows
