"""chrono: inspect and roll back record versions in SQL databases."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # read lazily: importlib.metadata costs ~20 ms that `chrono --help` should not pay
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("chrono_cli")
        except PackageNotFoundError:  # a source tree that was never installed
            return "0.0.0+unknown"
    raise AttributeError(name)
