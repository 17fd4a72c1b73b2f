"""django-reversion: ``reversion_version`` rows of Django-serialized states, grouped by ``reversion_revision``."""
