-- Triggers on one SQLite table, with their CREATE statement (timing and event are read from it).
SELECT name AS trigger_name, sql AS definition
FROM sqlite_master
WHERE type = 'trigger' AND tbl_name = :table
ORDER BY name
