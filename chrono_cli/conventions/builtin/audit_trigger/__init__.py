"""The 2ndQuadrant audit trigger: ``audit.logged_actions`` (hstore row_data / changed_fields)."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Signature, TableSign, Traits

CONVENTION = Convention.declare(
    Signature("chrono_cli.conventions.builtin.audit_trigger.convention:CONVENTION",
              tables=(TableSign(name="logged_actions",
                                columns=("event_id", "action", "row_data", "changed_fields", "relid", "statement_only",
                                         "table_name", "action_tstamp_stm", "transaction_id")),),
              singleton_stores=("logged_actions",)),
    name="audit-trigger", title="2ndQuadrant audit trigger (audit.logged_actions)", shape="json-diff",
    traits=Traits(records_actor=True, exact_changesets=True),  # session_user_name; txid_current()
    facts=("triggers",))  # audit_trigger_row: which tables are audited, and whether a write would be recorded
