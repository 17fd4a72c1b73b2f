"""examples/README.md shows real output of every command: regenerating it must change nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_walkthrough_is_current() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "make_walkthrough.py"), "--check"],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr + "\nregenerate with: python examples/make_walkthrough.py"
