"""supabase supa_audit: ``audit.record_version`` (record / old_record JSONB) written by row triggers."""

from __future__ import annotations

from chrono_cli.conventions.builtin.supa_audit import CONVENTION as DECLARED
from chrono_cli.conventions.builtin.supa_audit.adapter import SupaAuditAdapter, SupaAuditBulk, SupaAuditWriter

ADAPTER = SupaAuditAdapter()
WRITER = SupaAuditWriter()
CONVENTION = DECLARED.with_parts(detector=ADAPTER, reader=ADAPTER, lister=ADAPTER, writer=WRITER,
                                 bulk=SupaAuditBulk(WRITER, ADAPTER), check=ADAPTER.check)
