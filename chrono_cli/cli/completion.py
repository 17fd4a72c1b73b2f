"""Shell completion: the committed scripts in completions/, and TABLE completion from the database.

The scripts are typer's: each TAB runs ``chrono`` with ``_CHRONO_COMPLETE`` set, so commands and options
always match the installed version. Regenerate the committed copies with
``python -m chrono_cli.cli.completion completions`` (tests/cli/test_completion.py fails when they are stale).
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

import typer

PROG = "chrono"
COMPLETE_VAR = "_CHRONO_COMPLETE"
SHELLS = {"bash": "chrono.bash", "zsh": "_chrono", "fish": "chrono.fish"}
TIMEOUT_ENV = "CHRONO_COMPLETE_TIMEOUT"
DEFAULT_TIMEOUT = 2.0  # seconds: a TAB press may wait this long for the database, never longer


def script(shell: str) -> str:
    """The completion script for ``shell`` (bash, zsh or fish), as ``--show-completion`` prints it."""
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=shell) + "\n"


def write_scripts(directory: Path) -> list[Path]:
    """(Re)write every committed completion script into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for shell, name in SHELLS.items():
        path = directory / name
        path.write_text(script(shell), encoding="utf-8")
        written.append(path)
    return written


def complete_table(ctx: typer.Context, incomplete: str) -> list[str]:
    """TABLE values: the versioned tables of the database named by --db, the environment or the config."""
    root = ctx.find_root().params
    names = table_names(root.get("db"), tuple(root.get("schema") or ()), root.get("config"))
    return [n for n in names if n.startswith(incomplete)]


def complete_changeset(ctx: typer.Context, incomplete: str) -> list[str]:
    """Change-set ids (filled in below)."""
    return []


def table_names(url: str | None, schemas: tuple[str, ...], config_path: str | None,
                timeout: float | None = None) -> list[str]:
    """Detected table names and config aliases; [] on any error or when the database is slower than ``timeout``."""
    if timeout is None:
        try:
            timeout = float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT))
        except ValueError:
            timeout = DEFAULT_TIMEOUT
    found: list[str] = []

    def lookup() -> None:
        found.extend(_lookup(url, schemas, config_path))

    # A daemon thread: if the database hangs, the shell gets its answer anyway and the process exits.
    worker = threading.Thread(target=lookup, name="chrono-complete", daemon=True)
    worker.start()
    worker.join(timeout)
    return [] if worker.is_alive() else sorted(set(found))


def _lookup(url: str | None, schemas: tuple[str, ...], config_path: str | None) -> list[str]:
    import warnings

    from chrono_cli.config import load
    from chrono_cli.services.catalog import list_tables
    from chrono_cli.services.workspace import Settings, Workspace

    warnings.simplefilter("ignore")  # nothing may reach the terminal while the user is typing
    ws = None
    try:
        config = load(config_path)
        ws = Workspace(Settings(url, schemas, config))
        doc: Any = list_tables(ws).document
        return [t["table"] for t in doc["tables"]] + list(config.aliases)
    except Exception:  # noqa: BLE001 - completion offers nothing rather than an error
        return []
    finally:
        if ws is not None:
            ws.close()


if __name__ == "__main__":
    for written in write_scripts(Path(sys.argv[1] if len(sys.argv) > 1 else "completions")):
        print(written)
