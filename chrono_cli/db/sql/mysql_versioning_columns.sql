-- The explicit ROW START / ROW END columns of one database (none when implicit: implicit ROW_START/ROW_END appear
-- in no column listing), its columns WITHOUT SYSTEM VERSIONING, and the data type of the period columns (bigint:
-- transaction-precise).
SELECT TABLE_NAME AS table_name, COLUMN_NAME AS column_name, GENERATION_EXPRESSION AS generation, EXTRA AS extra,
       DATA_TYPE AS data_type
FROM information_schema.COLUMNS
WHERE TABLE_SCHEMA = COALESCE(:schema, DATABASE())
  AND (GENERATION_EXPRESSION IN ('ROW START', 'ROW END') OR EXTRA LIKE '%WITHOUT SYSTEM VERSIONING%')
ORDER BY TABLE_NAME, ORDINAL_POSITION
