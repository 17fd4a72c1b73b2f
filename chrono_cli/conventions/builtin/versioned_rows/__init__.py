"""SQLAlchemy's versioned_rows examples: every version is a row ``(id, version_id)`` of the table itself."""
