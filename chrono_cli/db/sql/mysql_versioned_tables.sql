-- MariaDB tables WITH SYSTEM VERSIONING in one database. Asked alone: joined with information_schema.COLUMNS the
-- server opened every table of the database (42 ms against 3 ms for the three queries on a 17-table story).
SELECT TABLE_NAME AS table_name
FROM information_schema.TABLES
WHERE TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND TABLE_TYPE = 'SYSTEM VERSIONED'
