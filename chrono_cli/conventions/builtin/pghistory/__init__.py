"""django-pghistory: ``<app>_<model>event`` tables filled by pgtrigger triggers, contexts in ``pghistory_context``."""
