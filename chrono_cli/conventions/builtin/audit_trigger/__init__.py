"""The 2ndQuadrant audit trigger: ``audit.logged_actions`` (hstore row_data / changed_fields)."""
