"""PyPI postgresql-audit: ``activity`` (old_data / changed_data JSONB) and ``transaction``, written by triggers."""

from __future__ import annotations

from collections.abc import Collection

from chrono_cli.conventions.api import Convention, Signature, TableSign, Traits

ACTIVITY, TRANSACTION = "activity", "transaction"


def related(name: str, all_names: Collection[str]) -> set[str]:
    """The transaction table next to the activity log (targeted reflection reads it too)."""
    return {ACTIVITY, TRANSACTION} & set(all_names) if ACTIVITY in all_names else set()

CONVENTION = Convention.declare(
    Signature("chrono_cli.conventions.builtin.postgresql_audit.convention:CONVENTION",
              bulk="chrono_cli.conventions.builtin.postgresql_audit.convention:bulk",
              tables=(TableSign(name="activity", columns=("verb", "old_data", "changed_data", "table_name",
                                                          "native_transaction_id", "issued_at")),),
              singleton_stores=("activity",),
              related=related),
    name="postgresql-audit", title="postgresql-audit (activity + transaction)", shape="json-diff",
    traits=Traits(records_actor=True, exact_changesets=True),
    after=("continuum",),  # a Continuum schema has a transaction table too (without native_transaction_id)
    facts=("triggers",))  # the audit triggers: which tables are audited, and whether a write would be recorded
