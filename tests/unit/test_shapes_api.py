"""The public shapes API plugins build on (README "Writing a convention") stays importable, and the example
plugin uses it instead of engine internals."""

from __future__ import annotations

import ast
from pathlib import Path

import chrono_cli.conventions.shapes as shapes

PLUGIN = Path(__file__).resolve().parents[2] / "examples" / "chrono-plugin-revisions" / "chrono_revisions"
# what a plugin may import from chrono: the contract (api), the shapes API, and the reflection/type helpers
ALLOWED = ("chrono_cli.conventions.api", "chrono_cli.conventions.shapes", "chrono_cli.conventions.types",
           "chrono_cli.conventions.writes.base", "chrono_cli.db.reflect", "chrono_cli.model")


def test_every_public_name_resolves() -> None:
    missing = [name for name in shapes.__all__ if not hasattr(shapes, name)]
    assert not missing
    assert {"OldStateAdapter", "OldStateLayout", "OldStateWriter", "states_after", "states_before"} <= set(
        shapes.__all__)


def test_example_plugin_imports_only_the_public_surface() -> None:
    imported: set[str] = set()
    for path in PLUGIN.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
                     and n.module.startswith("chrono_cli")}
    assert imported, "the example plugin imports nothing from chrono_cli"
    assert sorted(m for m in imported if m not in ALLOWED) == []
    assert "chrono_cli.conventions.shapes" in imported
