"""Text files a person hands chrono (a plan, a keys file): read whole, or a one-line usage error saying why not."""

from __future__ import annotations

import sys
from pathlib import Path

from chrono_cli.errors import UsageError


def read_text(path: str | Path, what: str, *, stdin: bool = False) -> str:
    """The UTF-8 text of ``path`` (a byte-order mark from an editor is not content); ``what`` names the file in the
    error (``plan``, ``keys file``); with ``stdin``, ``-`` is standard input (open: the caller checks)."""
    try:
        if stdin and str(path) == "-":
            return sys.stdin.read().removeprefix("\ufeff")
        return Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{what} {path} is not UTF-8 text (byte {exc.start} cannot be read)") from None
    except ValueError as exc:  # a NUL in the path
        raise UsageError(f"cannot read {what} {path!r}: {exc}") from None
