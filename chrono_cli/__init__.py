"""chrono: inspect and roll back record versions in SQL databases."""

# The one place the version is written: pyproject.toml reads it from here (``dynamic = ["version"]``), so
# `chrono --version` needs no importlib.metadata (~16 ms of a 0.1 s start).
__version__ = "0.1.0"
