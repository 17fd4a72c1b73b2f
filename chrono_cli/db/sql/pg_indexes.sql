-- The indexes other than primary keys of the tables of one schema (all of them when :all_tables, else those in
-- :names): name, unique, and the key columns in order (NULL for an expression; INCLUDE columns left out).
SELECT c.relname AS table_name,
       i.relname AS name,
       x.indisunique AS is_unique,
       ARRAY(SELECT a.attname::text
             FROM unnest(x.indkey) WITH ORDINALITY AS u(attnum, ord)
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = u.attnum
             WHERE u.ord <= x.indnkeyatts
             ORDER BY u.ord) AS columns
FROM pg_catalog.pg_index x
JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid
JOIN pg_catalog.pg_class c ON c.oid = x.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = :schema
  AND NOT x.indisprimary
  AND c.relkind IN ('r', 'p', 'f')
  AND c.relpersistence <> 't'
  AND (:all_tables OR c.relname = ANY(:names))
ORDER BY c.relname, i.relname
