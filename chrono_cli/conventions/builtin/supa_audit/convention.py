"""supabase supa_audit: ``audit.record_version`` (record / old_record JSONB) written by row triggers."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Traits
from chrono_cli.conventions.builtin.supa_audit.adapter import SupaAuditAdapter, SupaAuditBulk, SupaAuditWriter

ADAPTER = SupaAuditAdapter()
WRITER = SupaAuditWriter()
CONVENTION = Convention(
    check=ADAPTER.check,
    name=ADAPTER.name, title=ADAPTER.title, shape="json-diff", detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
    writer=WRITER, bulk=SupaAuditBulk(WRITER), traits=Traits(records_actor=True),  # auth_uid, inside Supabase projects
    facts=("triggers",))  # audit_i_u_d: which tables are tracked, and whether a write would be recorded
