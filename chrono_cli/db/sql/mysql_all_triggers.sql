-- Every trigger of one MariaDB/MySQL database (the current one when :schema is NULL).
SELECT EVENT_OBJECT_TABLE AS table_name, TRIGGER_NAME AS trigger_name, ACTION_TIMING AS timing,
       EVENT_MANIPULATION AS event, ACTION_ORIENTATION AS orientation
FROM information_schema.TRIGGERS
WHERE EVENT_OBJECT_SCHEMA = COALESCE(:schema, DATABASE())
ORDER BY EVENT_OBJECT_TABLE, TRIGGER_NAME, EVENT_MANIPULATION
