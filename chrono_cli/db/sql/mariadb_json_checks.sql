-- CHECK constraints of one MariaDB database: a JSON column is LONGTEXT with CHECK (json_valid(`col`)).
SELECT TABLE_NAME AS table_name, CHECK_CLAUSE AS check_clause
FROM information_schema.CHECK_CONSTRAINTS
WHERE CONSTRAINT_SCHEMA = COALESCE(:schema, DATABASE())
