"""django-simple-history: ``<app>_historical<model>``, the state after each change with ``+ ~ -``."""
