"""supabase supa_audit: ``audit.record_version`` rows (record / old_record JSONB) written by row triggers."""
