-- Columns declared INVISIBLE (left out of SELECT *) in one MariaDB/MySQL database.
SELECT TABLE_NAME AS table_name, COLUMN_NAME AS column_name
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND EXTRA LIKE '%INVISIBLE%'
ORDER BY TABLE_NAME, ORDINAL_POSITION
