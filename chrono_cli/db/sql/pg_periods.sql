-- SQL:2016 system-time periods of the periods extension, with their history table, view, as-of function and
-- excluded columns, for the tables of the given schemas.
SELECT n.nspname AS table_schema, c.relname AS table_name, p.period_name::text AS period_name,
       p.start_column_name::text AS start_column, p.end_column_name::text AS end_column,
       hn.nspname AS history_schema, h.relname AS history_name, vn.nspname AS view_schema, v.relname AS view_name,
       sv.func_as_of AS func_as_of, sv.func_between AS func_between,
       stp.excluded_column_names::text[] AS excluded, stp.generated_always_trigger::text AS generated_always_trigger,
       stp.write_history_trigger::text AS write_history_trigger
FROM periods.periods p
JOIN pg_class c ON c.oid = p.table_name
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN periods.system_versioning sv ON sv.table_name = p.table_name AND sv.period_name = p.period_name
LEFT JOIN pg_class h ON h.oid = sv.history_table_name
LEFT JOIN pg_namespace hn ON hn.oid = h.relnamespace
LEFT JOIN pg_class v ON v.oid = sv.view_name
LEFT JOIN pg_namespace vn ON vn.oid = v.relnamespace
LEFT JOIN periods.system_time_periods stp ON stp.table_name = p.table_name AND stp.period_name = p.period_name
WHERE n.nspname = ANY(:schemas)
ORDER BY n.nspname, c.relname, p.period_name
