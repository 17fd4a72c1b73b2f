"""A Django app tracked by django-pghistory, for tests/support/pghistory_story.py (PostgreSQL)."""
