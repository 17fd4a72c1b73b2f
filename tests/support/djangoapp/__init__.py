"""A tiny Django app versioned by django-simple-history, for tests/support/simple_history_story.py."""
