-- Every column of the tables of one schema (all of them when :all_tables, else those in :names): its position,
-- the type as format_type() writes it, NOT NULL, the default expression, whether it is a generated column, and
-- whether it has a collation other than its type's. A table without columns gives one row with a NULL name.
-- Unordered: the caller sorts (a sort here spills the wide rows to disk on a big schema).
SELECT c.relname AS table_name,
       a.attnum AS position,
       a.attname AS name,
       pg_catalog.format_type(a.atttypid, a.atttypmod) AS format_type,
       a.attnotnull AS not_null,
       CASE WHEN a.atthasdef THEN (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid)
                                   FROM pg_catalog.pg_attrdef d
                                   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum) END AS "default",
       a.attgenerated AS generated,
       a.attcollation <> 0 AND a.attcollation <> (SELECT t.typcollation FROM pg_catalog.pg_type t
                                                  WHERE t.oid = a.atttypid) AS own_collation
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = :schema
  AND c.relkind IN ('r', 'p', 'f')
  AND c.relpersistence <> 't'
  AND (:all_tables OR c.relname = ANY(:names))
