"""What chrono remembers for one user between runs: a few small JSON files in $XDG_STATE_HOME/chrono.

The advice ``chrono changes`` has given (so it is given once per database) and the completion cache live
here. Nothing in them matters for correctness: a file that cannot be read, is corrupt or cannot be written
is treated as empty, silently, and chrono behaves as on its first run.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

APP = "chrono"


def state_dir() -> Path:
    """$XDG_STATE_HOME/chrono, else ~/.local/state/chrono (a relative $XDG_STATE_HOME is ignored, as the spec says)."""
    base = os.environ.get("XDG_STATE_HOME", "")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "state"
    return root / APP


def load(name: str) -> dict[str, Any]:
    """The JSON object stored under ``name``; {} when there is none or it cannot be read."""
    try:
        data = json.loads((state_dir() / name).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError, RuntimeError):  # RuntimeError: no home directory to be found
        return {}
    return data if isinstance(data, dict) else {}


def save(name: str, data: dict[str, Any]) -> bool:
    """Store ``data`` under ``name`` atomically (a reader sees the old file or the new one); False if it cannot."""
    try:
        directory = state_dir()
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, ensure_ascii=False, default=str)
            os.replace(tmp, directory / name)
        except BaseException:
            os.unlink(tmp)
            raise
    except (OSError, ValueError, RuntimeError):
        return False
    return True


def database_key(url: object) -> str:
    """The key of one database in these files: its URL without the password (never stored)."""
    from chrono_cli.db.engine import safe_url

    return safe_url(url)  # type: ignore[arg-type]
