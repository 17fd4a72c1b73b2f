-- Every trigger of the main SQLite database, with the table it is on and its CREATE statement.
SELECT tbl_name AS table_name, name AS trigger_name, sql AS definition
FROM sqlite_master
WHERE type = 'trigger'
ORDER BY tbl_name, name
