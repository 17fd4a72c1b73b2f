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
from pathlib import Path
from typing import Any

import typer

PROG = "chrono"
COMPLETE_VAR = "_CHRONO_COMPLETE"
SHELLS = {"bash": "chrono.bash", "zsh": "_chrono", "fish": "chrono.fish"}
TIMEOUT_ENV = "CHRONO_COMPLETE_TIMEOUT"
DEFAULT_TIMEOUT = 2.0  # seconds: a TAB press may wait this long for the database, never longer
BACKGROUND = 10.0  # seconds a lookup that outlasted its TAB press may go on, unseen, to fill the cache
TTL_ENV = "CHRONO_COMPLETE_TTL"
DEFAULT_TTL = 60.0  # seconds a cached answer is offered: a new key shows up at the latest this long after
CACHE_FILE = "completion.json"  # {database: {what: [when, values]}} in the user's state directory
INSTALLED = "installed"  # the cache's entry for what needs no database (the conventions installed)
ASKED = {"tables", "keys", "columns", "versions", "changesets"}  # what services.suggest answers
WARM_ENV = "CHRONO_WARM_COMPLETION"  # what a detached warm-up process is to look up (JSON; not on its command line)


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
    return _offer(ctx, incomplete, ("tables",))


def complete_key(ctx: typer.Context, incomplete: str) -> list[str]:
    """KEY values: the keys of the table's most recently changed records, from its history store."""
    table = ctx.params.get("table")
    return _offer(ctx, incomplete, ("keys", table), keep_order=True) if table else []


def complete_columns(ctx: typer.Context, incomplete: str) -> list[str]:
    """Column names of the table; in a comma-separated list (``email,na``), the name after the last comma."""
    table = ctx.params.get("table")
    if not table:
        return []
    head, _, last = incomplete.rpartition(",")
    prefix = head + "," if head else ""
    done = set(head.split(",")) if head else set()
    return [prefix + name for name in _offer(ctx, last, ("columns", table), keep_order=True) if name not in done]


def complete_version(ctx: typer.Context, incomplete: str) -> list[str]:
    """--version values of the record named so far: library version numbers (or positions pN when typed)."""
    table, key = ctx.params.get("table"), ctx.params.get("key")
    if not table or not key:
        return []
    found = _offer(ctx, incomplete, ("versions", table, key), keep_order=True)
    numbered = [v for v in found if not v.startswith("p")]
    return found if incomplete.startswith("p") or not numbered else numbered


def complete_changeset(ctx: typer.Context, incomplete: str) -> list[str]:
    """Change-set ids: the newest change sets of the database, newest first."""
    return _offer(ctx, incomplete, ("changesets",), keep_order=True)


def complete_convention(ctx: typer.Context, incomplete: str) -> list[str]:
    """--convention values: every convention chrono knows (built-in and plugins); no database needed."""
    names = _cached(INSTALLED, "conventions")
    if names is None:
        try:
            from chrono_cli.conventions.registry import default

            names = default().names()
        except Exception:  # noqa: BLE001 - a broken plugin: complete nothing rather than print an error
            return []
        _remember(INSTALLED, "conventions", names)
    return [n for n in names if n.startswith(incomplete)]


def _offer(ctx: typer.Context, incomplete: str, what: tuple[str, ...], keep_order: bool = False) -> list[str]:
    """Cached values of ``what`` for the database of this command line, filtered by ``incomplete``."""
    root = ctx.find_root().params
    values = lookup_values(root.get("db"), tuple(root.get("schema") or ()), root.get("config"), what)
    matching = [v for v in values if v.startswith(incomplete)]
    return matching if keep_order else sorted(set(matching))


def lookup_values(url: str | None, schemas: tuple[str, ...], config_path: str | None, what: tuple[str, ...],
                  timeout: float | None = None) -> list[str]:
    """``services.suggest`` 's answer to ``what`` (``("keys", "users")``): from the cache while fresh, else from the
    database within ``timeout``; [] on any error. Tables also get the config's aliases (read each time, never cached).

    A TAB press (``timeout`` None) that outlasts its time leaves the lookup to a detached process, which caches
    the answer for the next TAB; the shell is not kept waiting for it.
    """
    import warnings

    warnings.simplefilter("ignore")  # nothing may reach the terminal while the user is typing
    try:
        from chrono_cli.config import load

        config = load(config_path)
        database = _database(url, schemas, config)
    except Exception:  # noqa: BLE001 - no database named, or a config that cannot be read: offer nothing
        return []
    aliases = list(config.aliases) if what == ("tables",) else []
    entry = "\t".join(what)
    cached = _cached(database, entry)
    if cached is not None:
        return cached + aliases
    found: list[list[str] | None] = []

    def run() -> None:
        found.append(_lookup(url, schemas, config, what))

    # A daemon thread: if the database hangs, the shell gets its answer anyway and the process exits.
    worker = threading.Thread(target=run, name="chrono-complete", daemon=True)
    worker.start()
    worker.join(_timeout() if timeout is None else timeout)
    if worker.is_alive():
        if timeout is None:
            _warm_later(url, schemas, config_path, what)
        return []
    answer = found[0] if found else None
    if answer is None:
        return []
    _remember(database, entry, answer)
    return answer + aliases


def _warm_later(url: str | None, schemas: tuple[str, ...], config_path: str | None, what: tuple[str, ...]) -> None:
    """Start a detached process that looks ``what`` up (for up to BACKGROUND seconds) and caches it."""
    import json
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("_CHRONO")}
    env[WARM_ENV] = json.dumps([url, list(schemas), config_path, list(what)])
    try:
        subprocess.Popen([sys.executable, "-m", "chrono_cli.cli.completion", "--warm"], env=env,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, close_fds=True)
    except OSError:
        pass  # the next TAB tries again


def _warm() -> None:
    """The detached process of ``_warm_later``."""
    import json

    url, schemas, config_path, what = json.loads(os.environ[WARM_ENV])
    lookup_values(url, tuple(schemas), config_path, tuple(what), timeout=BACKGROUND)


def table_names(url: str | None, schemas: tuple[str, ...], config_path: str | None,
                timeout: float | None = None) -> list[str]:
    """Detected table names and config aliases; [] on any error or when the database is slower than ``timeout``."""
    return sorted(set(lookup_values(url, schemas, config_path, ("tables",), timeout=timeout)))


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
    """The cache key of the database named (and the schemas asked for), without its password.

    Worked out without SQLAlchemy, whose import alone costs more than a TAB press may take: a file path is made
    absolute, a URL loses the password in its user part, and the key is a digest of what is left.
    """
    import hashlib
    import re

    from chrono_cli.config import named_database

    raw = named_database(url, config)
    if not raw:
        raise ValueError("no database named")
    if "://" in raw:
        raw = re.sub(r"^([^:/]+://[^:@/]*):[^@/]*@", r"\1@", raw)
    else:
        raw = "sqlite:///" + os.path.abspath(os.path.expanduser(raw))
    return hashlib.sha256("\n".join((raw, *schemas)).encode("utf-8", "surrogateescape")).hexdigest()[:32]


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


def _lookup(url: str | None, schemas: tuple[str, ...], config: Any, what: tuple[str, ...]) -> list[str] | None:
    from chrono_cli.services import suggest
    from chrono_cli.services.workspace import Settings, Workspace

    if what[0] not in ASKED:
        return None
    ws = None
    try:
        ws = Workspace(Settings(url, schemas, config))
        return [str(v) for v in getattr(suggest, what[0])(ws, *what[1:])]
    except Exception:  # noqa: BLE001 - completion offers nothing rather than an error
        return None
    finally:
        if ws is not None:
            ws.close()


if __name__ == "__main__":
    if sys.argv[1:] == ["--warm"]:
        _warm()
        sys.exit(0)
    for written in write_scripts(Path(sys.argv[1] if len(sys.argv) > 1 else "completions")):
        print(written)
