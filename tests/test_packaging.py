"""Packaging: the wheel holds the package and nothing else; python -m works; startup stays light."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import version
from pathlib import Path

import chrono_cli

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("sqlalchemy", "psycopg2", "pymysql", "tabulate", "chrono_cli.services", "chrono_cli.conventions",
         "chrono_cli.db")


def _source_tree(dest: Path) -> Path:
    """The files a fresh clone would have (plus uncommitted, not-ignored ones), copied to ``dest``."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=False)
    if listed.returncode != 0:  # not a git checkout: copy everything but build output
        shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns(".git", "build", "dist", "*.egg-info",
                                                                  "__pycache__", ".pytest_cache"))
        return dest
    for name in filter(None, listed.stdout.decode().split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def test_wheel_contains_the_package_only(tmp_path: Path) -> None:
    src = _source_tree(tmp_path / "src")
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-w", str(dist), "-q"], cwd=src,
                   check=True, timeout=900)
    (wheel,) = dist.glob("chrono_cli-*.whl")
    assert "version" in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dynamic"]
    project_version = chrono_cli.__version__  # the one place it is written
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        info = f"chrono_cli-{project_version}.dist-info"
        entry_points = zf.read(f"{info}/entry_points.txt").decode()
        metadata = zf.read(f"{info}/METADATA").decode()
    assert {n.split("/")[0] for n in names} == {"chrono_cli", info}
    assert not [n for n in names if "tests" in n.split("/") or "fixtures" in n or n.endswith((".db", ".sqlite"))]
    # every module of the source package made it in, with its package data
    expected = {p.relative_to(src).as_posix() for p in (src / "chrono_cli").rglob("*")
                if p.suffix in (".py", ".sql") and "__pycache__" not in p.parts}
    assert expected <= set(names), sorted(expected - set(names))
    assert "chrono = chrono_cli.cli.launch:main" in entry_points
    assert f"Version: {project_version}\n" in metadata


def test_python_dash_m_prints_the_metadata_version() -> None:
    result = subprocess.run([sys.executable, "-m", "chrono_cli", "--version"], capture_output=True, text=True,
                            cwd=ROOT, check=True, timeout=120)
    assert result.stdout == f"chrono {version('chrono_cli')}\n"


def test_help_imports_no_database_code() -> None:
    """`chrono --help` must stay fast: cli/ modules import services, SQLAlchemy and drivers lazily."""
    probe = ("import sys\nsys.argv = ['chrono', '--help']\nfrom chrono_cli.cli.app import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             f"print('LOADED', sorted(m for m in sys.modules if m.startswith({HEAVY!r})))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True,
                            timeout=120)
    assert result.stdout.splitlines()[-1] == "LOADED []", (
        "a cli/ module imports heavy code at module level; import it inside the command function")
