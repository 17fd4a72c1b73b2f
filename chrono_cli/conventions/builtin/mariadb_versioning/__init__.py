"""MariaDB system-versioned tables (``WITH SYSTEM VERSIONING``): the server keeps every row's versions itself."""
