"""SQLAlchemy examples/versioned_history (history_meta.py): ``<table>_history`` holding old states."""
