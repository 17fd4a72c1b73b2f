"""Shell completion: the committed scripts in completions/, and values completed from the database.

TABLE, KEY, column names, versions and change-set ids come from the database named on the command line
(or the environment, or the config), read only, within CHRONO_COMPLETE_TIMEOUT seconds, and are cached
per database for CHRONO_COMPLETE_TTL seconds (default 60) in the user's state directory, so a TAB
after the first answers without the database. --convention values need no database.

The scripts are typer's: each TAB runs ``chrono`` with ``_CHRONO_COMPLETE`` set, so commands and options
always match the installed version. Regenerate the committed copies with
``python -m chrono_cli.cli.completion completions`` (tests/cli/test_completion.py fails when they are stale).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
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


TTL_ENV = "CHRONO_COMPLETE_TTL"
DEFAULT_TTL = 60.0  # seconds a cached answer is offered: a new key shows up at the latest this long after
CACHE_FILE = "completion.json"  # {database: {what: [when, values]}} in the user's state directory


def complete_table(ctx: typer.Context, incomplete: str) -> list[str]:
    """TABLE values: the versioned tables of the database named by --db, the environment or the config."""
    return _offer(ctx, incomplete, "tables", lambda ws: _suggest().tables(ws))


def complete_key(ctx: typer.Context, incomplete: str) -> list[str]:
    """KEY values: the keys of the table's most recently changed records, from its history store."""
    table = ctx.params.get("table")
    if not table:
        return []
    return _offer(ctx, incomplete, f"keys:{table}", lambda ws: _suggest().keys(ws, table), keep_order=True)


def complete_columns(ctx: typer.Context, incomplete: str) -> list[str]:
    """Column names of the table; in a comma-separated list (``email,na``), the name after the last comma."""
    table = ctx.params.get("table")
    if not table:
        return []
    head, _, last = incomplete.rpartition(",")
    prefix = head + "," if head else ""
    done = set(head.split(",")) if head else set()
    names = _offer(ctx, last, f"columns:{table}", lambda ws: _suggest().columns(ws, table), keep_order=True)
    return [prefix + name for name in names if name not in done]


def complete_version(ctx: typer.Context, incomplete: str) -> list[str]:
    """--version values of the record named so far: library version numbers (or positions pN when typed)."""
    table, key = ctx.params.get("table"), ctx.params.get("key")
    if not table or not key:
        return []
    found = _offer(ctx, incomplete, f"versions:{table}:{key}", lambda ws: _suggest().versions(ws, table, key),
                   keep_order=True)
    numbered = [v for v in found if not v.startswith("p")]
    return found if incomplete.startswith("p") or not numbered else numbered


def complete_changeset(ctx: typer.Context, incomplete: str) -> list[str]:
    """Change-set ids: the newest change sets of the database, newest first."""
    return _offer(ctx, incomplete, "changesets", lambda ws: _suggest().changesets(ws), keep_order=True)


def complete_convention(ctx: typer.Context, incomplete: str) -> list[str]:
    """--convention values: every convention chrono knows (built-in and plugins); no database needed."""
    try:
        from chrono_cli.conventions.registry import default

        return [n for n in default().names() if n.startswith(incomplete)]
    except Exception:  # noqa: BLE001 - a broken plugin: complete nothing rather than print an error
        return []


def _suggest() -> Any:
    from chrono_cli.services import suggest

    return suggest


def _offer(ctx: typer.Context, incomplete: str, what: str, lookup: Callable[[Any], list[str]],
           keep_order: bool = False) -> list[str]:
    """Cached values of ``what`` for the database of this command line, filtered by ``incomplete``."""
    root = ctx.find_root().params
    values = lookup_values(root.get("db"), tuple(root.get("schema") or ()), root.get("config"), what, lookup)
    matching = [v for v in values if v.startswith(incomplete)]
    return matching if keep_order else sorted(set(matching))


def lookup_values(url: str | None, schemas: tuple[str, ...], config_path: str | None, what: str,
                  lookup: Callable[[Any], list[str]], timeout: float | None = None) -> list[str]:
    """``lookup(workspace)`` from the cache when fresh, else from the database within ``timeout``; [] on any error.

    Tables also get the config's aliases (never cached: the config is read each time, it costs nothing).
    """
    import warnings

    warnings.simplefilter("ignore")  # nothing may reach the terminal while the user is typing
    try:
        from chrono_cli.config import load

        config = load(config_path)
        database = _database(url, schemas, config)
    except Exception:  # noqa: BLE001 - no database named, or a config that cannot be read: offer nothing
        return []
    aliases = list(config.aliases) if what == "tables" else []
    cached = _cached(database, what)
    if cached is not None:
        return cached + aliases
    found: list[list[str]] = []

    def run() -> None:
        found.append(_lookup(url, schemas, config, lookup))

    # A daemon thread: if the database hangs, the shell gets its answer anyway and the process exits.
    worker = threading.Thread(target=run, name="chrono-complete", daemon=True)
    worker.start()
    worker.join(_timeout() if timeout is None else timeout)
    if worker.is_alive() or not found or found[0] is None:
        return []
    _remember(database, what, found[0])
    return found[0] + aliases


def table_names(url: str | None, schemas: tuple[str, ...], config_path: str | None,
                timeout: float | None = None) -> list[str]:
    """Detected table names and config aliases; [] on any error or when the database is slower than ``timeout``."""
    return sorted(set(lookup_values(url, schemas, config_path, "tables", lambda ws: _suggest().tables(ws),
                                    timeout=timeout)))


def _timeout() -> float:
    try:
        return float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT


def _ttl() -> float:
    try:
        return float(os.environ.get(TTL_ENV, DEFAULT_TTL))
    except ValueError:
        return DEFAULT_TTL


def _database(url: str | None, schemas: tuple[str, ...], config: Any) -> str:
    """The cache key of the database: its URL without the password, and the schemas asked for."""
    from chrono_cli.cli.userstate import database_key
    from chrono_cli.services.workspace import Settings, Workspace

    return database_key(Workspace(Settings(url, schemas, config)).url) + "".join(f" --schema {s}" for s in schemas)


def _cached(database: str, what: str) -> list[str] | None:
    from chrono_cli.cli import userstate

    entry = userstate.load(CACHE_FILE).get(database, {})
    hit = entry.get(what) if isinstance(entry, dict) else None
    if not (isinstance(hit, list) and len(hit) == 2 and isinstance(hit[0], int | float) and isinstance(hit[1], list)):
        return None
    if not 0 <= time.time() - hit[0] < _ttl():
        return None
    return [str(v) for v in hit[1]]


def _remember(database: str, what: str, values: list[str]) -> None:
    """Store an answer; answers past their time, of any database, are dropped so the file stays small."""
    from chrono_cli.cli import userstate

    now = time.time()
    cache = userstate.load(CACHE_FILE)
    fresh: dict[str, Any] = {}
    for db, entries in cache.items():
        if isinstance(entries, dict):
            kept = {w: hit for w, hit in entries.items() if isinstance(hit, list) and len(hit) == 2
                    and isinstance(hit[0], int | float) and 0 <= now - hit[0] < _ttl()}
            if kept:
                fresh[db] = kept
    fresh.setdefault(database, {})[what] = [now, values]
    userstate.save(CACHE_FILE, fresh)


def _lookup(url: str | None, schemas: tuple[str, ...], config: Any,
            lookup: Callable[[Any], list[str]]) -> list[str] | None:
    from chrono_cli.services.workspace import Settings, Workspace

    ws = None
    try:
        ws = Workspace(Settings(url, schemas, config))
        return [str(v) for v in lookup(ws)]
    except Exception:  # noqa: BLE001 - completion offers nothing rather than an error
        return None
    finally:
        if ws is not None:
            ws.close()


if __name__ == "__main__":
    for written in write_scripts(Path(sys.argv[1] if len(sys.argv) > 1 else "completions")):
        print(written)
