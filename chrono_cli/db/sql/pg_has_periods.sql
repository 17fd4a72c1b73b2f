-- Whether the periods extension's catalogs exist (querying them otherwise would fail).
SELECT to_regclass('periods.system_versioning') IS NOT NULL AND to_regclass('periods.periods') IS NOT NULL
       AND to_regclass('periods.system_time_periods') IS NOT NULL AS present
