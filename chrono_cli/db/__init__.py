"""Database access: engines, read-only connections, bulk reflection. Knows nothing of conventions."""
