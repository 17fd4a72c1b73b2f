"""README.md opens with the two commands that work on a fresh machine, and .ci/run runs the second verbatim."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", text, re.S)][:2]


def test_readme_opens_with_demo_then_tests() -> None:
    demo, tests = _commands()
    assert demo == "pip install . && chrono --db examples/demo.sqlite history user 42"
    assert "pytest" in tests and "install" in tests


def test_ci_runs_exactly_the_readme_test_command() -> None:
    _, tests = _commands()
    lines = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert tests in lines


def test_the_demo_command_shows_user_42() -> None:
    done = subprocess.run([sys.executable, "-m", "chrono_cli", "--db", str(ROOT / "examples" / "demo.sqlite"),
                           "history", "user", "42"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "users 42 [history-meta: users_history]" in done.stdout
    assert len(done.stdout.splitlines()) > 10


def test_demo_database_is_what_its_script_builds(tmp_path: Path) -> None:
    out = tmp_path / "demo.sqlite"
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "build_demo.py"), "--output", str(out)],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == (ROOT / "examples" / "demo.sqlite").read_bytes(), \
        "examples/demo.sqlite is stale: run python examples/build_demo.py"
