-- Every user-defined trigger on the tables of the given schemas, with the function it runs.
SELECT n.nspname AS table_schema,
       c.relname AS table_name,
       t.tgname AS trigger_name,
       pn.nspname AS function_schema,
       p.proname AS function_name,
       t.tgenabled AS enabled,
       t.tgtype AS type_bits,
       t.tgnargs AS nargs,
       t.tgargs AS args
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
WHERE NOT t.tgisinternal
  AND n.nspname = ANY(:schemas)
ORDER BY n.nspname, c.relname, t.tgname
