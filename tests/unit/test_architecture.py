"""The layering of style.md: cli -> services -> conventions -> db; render and browse beside cli; nothing imports cli."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "chrono_cli"
FORBIDDEN = {
    "services": {"chrono_cli.cli", "chrono_cli.browse", "chrono_cli.render", "typer", "rich", "tabulate", "textual"},
    "conventions": {"chrono_cli.cli", "chrono_cli.browse", "chrono_cli.services", "chrono_cli.render", "typer", "rich",
                    "tabulate", "textual"},
    "db": {"chrono_cli.cli", "chrono_cli.browse", "chrono_cli.services", "chrono_cli.conventions", "chrono_cli.render",
           "typer", "rich", "textual"},
    "render": {"chrono_cli.cli", "chrono_cli.browse", "chrono_cli.services", "chrono_cli.conventions", "chrono_cli.db",
               "sqlalchemy", "typer", "textual"},
    # the browser sits beside cli: it reads and writes through services only, never the database itself
    "browse": {"chrono_cli.cli", "chrono_cli.conventions", "chrono_cli.db", "sqlalchemy", "typer"},
}
LEAVES = {"model.py", "errors.py", "config.py", "encoding.py", "records.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_layering(path: Path) -> None:
    rel = path.relative_to(PACKAGE)
    imports = _imports(path)
    if rel.parts[0] in FORBIDDEN:
        bad = {i for i in imports for f in FORBIDDEN[rel.parts[0]] if i == f or i.startswith(f + ".")}
        assert not bad, f"{rel} imports {sorted(bad)}"
    if rel.name in LEAVES and len(rel.parts) == 1:
        inner = {i for i in imports if i.startswith("chrono_cli.") and i not in ("chrono_cli.errors",
                                                                                 "chrono_cli.records")}
        assert not inner, f"leaf module {rel} imports {sorted(inner)}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_stay_small(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 600, f"{path.name}: split it"


def test_no_sql_strings_outside_db_and_conventions() -> None:
    for path in _modules():
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] in ("db", "conventions"):
            continue
        source = path.read_text(encoding="utf-8")
        assert "exec_driver_sql" not in source and "text(\"SELECT" not in source, f"raw SQL in {rel}"


# --- services/ and cli/ know conventions only through the registry and the api ---

def _builtin_names_and_modules() -> tuple[set[str], set[str]]:
    from collections import Counter

    from chrono_cli.conventions.registry import builtins

    convs = builtins()
    names = {c.name for c in convs}
    owners: Counter[str] = Counter()
    for c in convs:
        parts = {type(p).__module__ for p in (c.detector, c.reader, c.lister, c.writer, c.bulk, c.check)
                 if p is not None}
        owners.update(parts)
    own = {m for m, n in owners.items() if n == 1}  # a module serving one convention only is that convention's
    return names, own | {"chrono_cli.conventions.builtin"}


@pytest.mark.parametrize("path", [p for p in _modules()
                                  if p.relative_to(PACKAGE).parts[0] in ("services", "cli", "browse")],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_services_and_cli_know_no_convention_by_name(path: Path) -> None:
    names, modules = _builtin_names_and_modules()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    literals = sorted({n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value in names})
    assert not literals, f"{path.relative_to(PACKAGE)} names conventions {literals}: ask the registry or a trait"
    bad = sorted(i for i in _imports(path) for m in modules if i == m or i.startswith(m + "."))
    assert not bad, f"{path.relative_to(PACKAGE)} imports built-in convention modules {bad}"
