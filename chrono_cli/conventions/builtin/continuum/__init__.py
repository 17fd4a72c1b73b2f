"""SQLAlchemy-Continuum 2.x (and SQLAlchemy-History): ``<table>_version`` + ``transaction``, new states."""
