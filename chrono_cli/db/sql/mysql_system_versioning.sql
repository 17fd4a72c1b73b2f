-- MariaDB tables WITH SYSTEM VERSIONING, with their explicit ROW START / ROW END columns (none when implicit:
-- implicit ROW_START/ROW_END appear in no column listing), their columns WITHOUT SYSTEM VERSIONING, the data type
-- of the period columns (bigint: transaction-precise) and whether the history is PARTITION BY SYSTEM_TIME.
SELECT t.TABLE_NAME AS table_name, c.COLUMN_NAME AS column_name, c.GENERATION_EXPRESSION AS generation,
       c.EXTRA AS extra, c.DATA_TYPE AS data_type,
       EXISTS (SELECT 1 FROM information_schema.PARTITIONS p
               WHERE p.TABLE_SCHEMA = t.TABLE_SCHEMA AND p.TABLE_NAME = t.TABLE_NAME
                 AND p.PARTITION_METHOD = 'SYSTEM_TIME') AS partitioned
FROM information_schema.TABLES t
LEFT JOIN information_schema.COLUMNS c
  ON c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME
 AND (c.GENERATION_EXPRESSION IN ('ROW START', 'ROW END') OR c.EXTRA LIKE '%WITHOUT SYSTEM VERSIONING%')
WHERE t.TABLE_SCHEMA = COALESCE(:schema, DATABASE()) AND t.TABLE_TYPE = 'SYSTEM VERSIONED'
ORDER BY t.TABLE_NAME, c.ORDINAL_POSITION
