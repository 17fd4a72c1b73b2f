-- Primary keys (p), unique constraints (u) and foreign keys (f) of the tables of one schema (all of them when
-- :all_tables, else those in :names), each constraint's columns in key order; for a foreign key the referred
-- table, its schema, whether that table is visible on the search path, and the referred columns.
SELECT c.relname AS table_name,
       k.contype AS kind,
       k.conname AS name,
       ARRAY(SELECT a.attname::text
             FROM unnest(k.conkey) WITH ORDINALITY AS u(attnum, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum
             ORDER BY u.ord) AS columns,
       rn.nspname AS referred_schema,
       rc.relname AS referred_table,
       pg_catalog.pg_table_is_visible(rc.oid) AS referred_visible,
       ARRAY(SELECT a.attname::text
             FROM unnest(k.confkey) WITH ORDINALITY AS u(attnum, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum
             ORDER BY u.ord) AS referred_columns
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class c ON c.oid = k.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = k.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
WHERE n.nspname = :schema
  AND k.contype IN ('p', 'u', 'f')
  AND c.relkind IN ('r', 'p', 'f')
  AND c.relpersistence <> 't'
  AND (:all_tables OR c.relname = ANY(:names))
ORDER BY c.relname, k.conname
