"""PyPI postgresql-audit: ``activity`` (old_data / changed_data JSONB) and ``transaction``, written by triggers."""
