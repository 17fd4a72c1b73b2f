"""temporal_tables' ``versioning()`` trigger (C extension or nearform's pure-SQL function): ``sys_period``."""
