"""The PostgreSQL ``periods`` extension (SQL:2016 system versioning): ``<table>_history`` kept by its triggers."""
