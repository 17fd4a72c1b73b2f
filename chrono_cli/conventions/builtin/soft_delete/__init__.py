"""Archive columns (``is_archived``, ``deleted_at``, ...): a row is hidden, not removed."""
