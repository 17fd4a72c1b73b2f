"""django-auditlog: ``auditlog_logentry`` rows of ``{field: [old, new]}`` string differences."""
