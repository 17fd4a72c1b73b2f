"""supabase supa_audit: ``audit.record_version`` rows (record / old_record JSONB) written by row triggers."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Signature, TableSign, Traits

CONVENTION = Convention.declare(
    Signature("chrono_cli.conventions.builtin.supa_audit.convention:CONVENTION",
              tables=(TableSign(name="record_version",
                                columns=("record_id", "old_record_id", "op", "record", "old_record", "table_oid",
                                         "table_name", "ts")),),
              singleton_stores=("record_version",)),
    name="supa-audit", title="supabase supa_audit (audit.record_version)", shape="json-diff",
    traits=Traits(records_actor=True),  # auth_uid, inside Supabase projects
    facts=("triggers",))  # audit_i_u_d: which tables are tracked, and whether a write would be recorded
