"""Shell completion: committed scripts are current, real bash completes, TABLE completes from the database."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chrono_cli.cli import completion
from tests.cli.history_db import build

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = "python -m chrono_cli.cli.completion completions"


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """A ``chrono`` on PATH that runs this working tree (not whatever copy is installed)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "chrono"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m chrono_cli "$@"\n')
    wrapper.chmod(0o755)
    return bin_dir


def _env(bin_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("CHRONO_DATABASE_URL", "DATABASE_URL") and not k.startswith("_CHRONO")}
    # the 2 s a TAB press waits is for people; a loaded CI machine may take longer to start Python
    env["CHRONO_COMPLETE_TIMEOUT"] = "30"
    env.update(PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", PYTHONPATH=str(ROOT), **extra)
    return env


def bash_complete(bin_dir: Path, line: str, cwd: Path | None = None, timeout: float = 60,
                  **env: str) -> list[str]:
    """What real bash offers for TAB at the end of ``line``, with completions/chrono.bash sourced."""
    words = line.split(" ")
    script = (f"source {ROOT / 'completions' / 'chrono.bash'}\n"
              f"COMP_WORDS=({' '.join(_quote(w) for w in words)})\n"
              f"COMP_CWORD={len(words) - 1}\n"
              f"COMP_LINE={_quote(line)}\nCOMP_POINT=${{#COMP_LINE}}\n"
              "complete -p chrono >/dev/null || exit 3\n"
              "_chrono_completion chrono\n"
              "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True,
                            env=_env(bin_dir, **env), cwd=cwd or ROOT, timeout=timeout, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # nothing may be written over the user's prompt
    return [w for w in result.stdout.splitlines() if w]


def _quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


def test_committed_scripts_are_current() -> None:
    for shell, name in completion.SHELLS.items():
        committed = ROOT / "completions" / name
        assert committed.is_file(), f"completions/{name} is missing: run `{REGENERATE}`"
        assert committed.read_text(encoding="utf-8") == completion.script(shell), (
            f"completions/{name} is stale: run `{REGENERATE}` and commit the result")


def require_shell(name: str) -> None:
    """Skip when the shell ``name`` is not installed; under CI=true (.ci/run installs zsh and fish) fail instead."""
    if shutil.which(name) is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {name} is not installed (.ci/run installs zsh and fish)")
        pytest.skip(f"{name} not installed")


@pytest.fixture
def bash_installed() -> None:
    require_shell("bash")


needs_bash = pytest.mark.usefixtures("bash_installed")


@needs_bash
def test_show_completion_prints_the_committed_bash_script(bin_dir: Path) -> None:
    # `; true` keeps bash as the parent process, so the shell detection sees bash
    result = subprocess.run(["bash", "--norc", "-c", "chrono --show-completion; true"], capture_output=True,
                            text=True, env=_env(bin_dir), check=True, timeout=60)
    assert result.stdout == (ROOT / "completions" / "chrono.bash").read_text(encoding="utf-8")


@needs_bash
def test_install_completion(bin_dir: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    result = subprocess.run(["bash", "--norc", "-c", "chrono --install-completion; true"], capture_output=True,
                            text=True, env=_env(bin_dir, HOME=str(home)), check=True, timeout=60)
    assert "bash completion installed in" in result.stdout, result.stderr
    installed = home / ".bash_completions" / "chrono.sh"
    assert installed.read_text(encoding="utf-8").strip() == completion.script("bash").strip()
    assert f"source '{installed}'" in (home / ".bashrc").read_text(encoding="utf-8")


@needs_bash
def test_bash_completes_commands_and_options(bin_dir: Path) -> None:
    assert bash_complete(bin_dir, "chrono bl") == ["blame"]
    assert {"tables", "history", "show", "diff", "blame"} <= set(bash_complete(bin_dir, "chrono "))
    assert bash_complete(bin_dir, "chrono --no-p") == ["--no-pager"]
    assert set(bash_complete(bin_dir, "chrono blame --c")) == {"--column", "--convention"}
    assert "--reverse" in bash_complete(bin_dir, "chrono history --")
    assert bash_complete(bin_dir, "chrono -f js") == ["json", "jsonl"]


@needs_bash
def test_table_argument_completes_from_the_database(bin_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "items.db"
    build(f"sqlite:///{db}")
    assert bash_complete(bin_dir, f"chrono --db {db} blame ") == ["item", "note"]
    assert bash_complete(bin_dir, f"chrono --db {db} history i") == ["item"]
    # the database from the environment, and from the config (with its aliases)
    assert bash_complete(bin_dir, "chrono show n", CHRONO_DATABASE_URL=str(db)) == ["note"]
    (tmp_path / "chrono.toml").write_text(f'database = "{db}"\n[aliases]\nthing = "item"\n')
    assert bash_complete(bin_dir, "chrono diff ", cwd=tmp_path) == ["item", "note", "thing"]


@needs_bash
def test_no_database_or_a_broken_one_completes_nothing_quietly(bin_dir: Path, tmp_path: Path) -> None:
    assert bash_complete(bin_dir, "chrono blame ", cwd=tmp_path) == []
    assert bash_complete(bin_dir, f"chrono --db {tmp_path / 'missing.db'} blame ") == []
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert bash_complete(bin_dir, f"chrono --db postgresql://u@127.0.0.1:{port}/x blame ") == []


@pytest.fixture
def silent_server() -> Iterator[tuple[int, threading.Event]]:
    """A TCP server that accepts connections and never answers (a hung database)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    connected, stop = threading.Event(), threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            held.append(conn)
            connected.set()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], connected
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


@needs_bash
def test_a_hung_database_never_hangs_the_shell(bin_dir: Path, silent_server: tuple[int, threading.Event]) -> None:
    port, connected = silent_server
    # The 30 s bound is only a hang guard; that completion stops at its own budget (CHRONO_COMPLETE_TIMEOUT)
    # rather than at the driver's connect timeout is checked in-process below.
    offered = bash_complete(bin_dir, f"chrono --db postgresql://u@127.0.0.1:{port}/x blame ", timeout=30,
                            CHRONO_COMPLETE_TIMEOUT="3")
    assert offered == []
    assert connected.is_set()  # the lookup did reach the (silent) server


def test_table_names_gives_up_after_the_timeout(tmp_path: Path, silent_server: tuple[int, threading.Event]) -> None:
    port, _ = silent_server
    assert completion.table_names(f"postgresql://u@127.0.0.1:{port}/x", (), None, timeout=0.2) == []
    # it answered while the lookup was still waiting for the database (not after the driver gave up)
    assert any(t.name == "chrono-complete" and t.is_alive() for t in threading.enumerate())
    db = build(f"sqlite:///{tmp_path / 'items.db'}")
    assert completion.table_names(db, (), None, timeout=60) == ["item", "note"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_other_shells_parse_their_scripts(shell: str) -> None:
    require_shell(shell)
    name = completion.SHELLS[shell]
    subprocess.run([shell, "-n", str(ROOT / "completions" / name)], check=True, timeout=60)


def test_fish_completes_commands_and_tables(bin_dir: Path, tmp_path: Path) -> None:
    require_shell("fish")
    db = tmp_path / "items.db"
    build(f"sqlite:///{db}")
    script = (f"source {ROOT / 'completions' / 'chrono.fish'}; complete -C 'chrono bl'; "
              f"complete -C 'chrono --db {db} blame '")
    result = subprocess.run(["fish", "--no-config", "-c", script], capture_output=True, text=True,
                            env=_env(bin_dir, HOME=str(tmp_path)), check=True, timeout=60)
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == ["blame", "item", "note"]


# --- values from the database: keys, columns, versions, change sets, conventions; cached per database ---------

@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of the demo database (users is versioned by history-meta)."""
    copy = tmp_path / "demo.sqlite"
    shutil.copy(ROOT / "examples" / "demo.sqlite", copy)
    return copy


def _history_keys(db: Path, prefix: str = "") -> set[str]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return {str(k) for (k,) in conn.execute("SELECT DISTINCT id FROM users_history") if str(k).startswith(prefix)}


def _versions(db: Path, key: int) -> list[str]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        (live,) = conn.execute("SELECT version FROM users WHERE id = ?", (key,)).fetchone()
    return [str(v) for v in range(1, live + 1)]


@needs_bash
def test_keys_columns_versions_and_change_sets_complete(bin_dir: Path, demo: Path) -> None:
    before = _checksum(demo)
    keys = _history_keys(demo, "4")
    assert len(keys) > 3
    assert set(bash_complete(bin_dir, f"chrono --db {demo} history users 4")) == keys
    assert set(bash_complete(bin_dir, f"chrono --db {demo} archive users 13 4")) == keys  # every KEY of a write
    columns = ["id", "email", "name", "plan", "is_archived", "updated_by", "version"]
    assert bash_complete(bin_dir, f"chrono --db {demo} show users 42 --columns ") == columns
    assert bash_complete(bin_dir, f"chrono --db {demo} history users 42 --columns email,n") == ["email,name"]
    assert bash_complete(bin_dir, f"chrono --db {demo} blame users 42 -c e") == ["email"]
    assert bash_complete(bin_dir, f"chrono --db {demo} restore users 42 --only pl") == ["plan"]
    assert bash_complete(bin_dir, f"chrono --db {demo} show users 42 --version ") == _versions(demo, 42)
    assert bash_complete(bin_dir, f"chrono --db {demo} diff users 42 1") == [
        v for v in _versions(demo, 42) if v.startswith("1")]
    positions = bash_complete(bin_dir, f"chrono --db {demo} restore users 42 -V p")
    assert positions == [f"p{n}" for n in range(1, len(_versions(demo, 42)) + 1)]
    newest = json.loads(subprocess.run([sys.executable, "-m", "chrono_cli", "--db", str(demo), "-f", "json",
                                        "changes", "-n", "3"], capture_output=True, text=True, check=True,
                                       env=_env(bin_dir)).stdout)
    ids = [s["id"] for s in newest["changesets"]]
    assert bash_complete(bin_dir, f"chrono --db {demo} changes show @")[:3] == ids
    assert bash_complete(bin_dir, f"chrono --db {demo} revert ")[:3] == ids
    assert bash_complete(bin_dir, f"chrono --db {demo} history users 42 --convention hist") == ["history-meta"]
    assert "soft-delete" in bash_complete(bin_dir, "chrono archive users 42 --convention ")  # no database needed
    assert _checksum(demo) == before  # completing never writes to the database


def _checksum(db: Path) -> str:
    import hashlib

    return hashlib.sha256(db.read_bytes()).hexdigest()


@needs_bash
def test_completion_is_cached_per_database_for_a_short_time(bin_dir: Path, demo: Path, tmp_path: Path,
                                                             _own_state_dir: Path) -> None:
    import sqlite3

    line = f"chrono --db {demo} history users 4"
    keys = _history_keys(demo, "4")
    assert set(bash_complete(bin_dir, line)) == keys
    cache = json.loads((_own_state_dir / "chrono" / "completion.json").read_text())
    assert [set(entries) for entries in cache.values()] == [{"keys\tusers"}]
    assert str(demo) not in json.dumps(cache)  # keyed by a digest of the database's name
    with sqlite3.connect(demo) as conn:  # a record changed since: a key the cache does not know yet
        conn.execute("INSERT INTO users_history (id, email, name, plan, is_archived, updated_by, version, changed) "
                     "SELECT 4000, email, name, plan, is_archived, updated_by, 1, '2026-11-20 10:00:00' "
                     "FROM users WHERE id = 42")
    assert set(bash_complete(bin_dir, line)) == keys  # the cached answer, without the database
    assert set(bash_complete(bin_dir, line, CHRONO_COMPLETE_TTL="0")) == keys | {"4000"}  # stale: read again
    copy = tmp_path / "copy.sqlite"
    shutil.copy(demo, copy)
    demo.write_bytes(b"not a database")  # the cache answers without opening the database at all
    assert set(bash_complete(bin_dir, line)) == keys | {"4000"}
    assert bash_complete(bin_dir, line, CHRONO_COMPLETE_TTL="0") == []
    # another database has its own entry; a corrupt cache file is ignored and replaced
    (_own_state_dir / "chrono" / "completion.json").write_text("{not json")
    assert set(bash_complete(bin_dir, f"chrono --db {copy} history users 4")) == keys | {"4000"}
    assert len(json.loads((_own_state_dir / "chrono" / "completion.json").read_text())) == 1


def _zsh_complete(bin_dir: Path, line: str, **env: str) -> list[str]:
    """What real zsh runs for TAB at the end of ``line`` with completions/_chrono loaded: the values typer hands
    to ``_arguments`` (a stub prints them instead of drawing a menu)."""
    words = line.split(" ")
    script = ("compdef() { :; }\n"
              "_arguments() { print -rl -- \"$@\"; }\n"
              f"source {ROOT / 'completions' / '_chrono'}\n"
              f"words=({' '.join(_quote(w) for w in words)})\n"
              f"CURRENT={len(words)}\n"
              "_chrono_completion\n")
    result = subprocess.run(["zsh", "-f", "-c", script], capture_output=True, text=True, env=_env(bin_dir, **env),
                            timeout=60, check=False)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    spec = result.stdout.strip()
    if not spec.startswith("*: :(("):
        return []
    return [v.replace('""', '"') for v in re.findall(r'"((?:[^"]|"")*)"', spec)]


def test_zsh_completes_keys_and_versions(bin_dir: Path, demo: Path) -> None:
    require_shell("zsh")
    assert set(_zsh_complete(bin_dir, f"chrono --db {demo} history users 4")) == _history_keys(demo, "4")
    assert _zsh_complete(bin_dir, f"chrono --db {demo} show users 42 --version ") == _versions(demo, 42)
    assert _zsh_complete(bin_dir, f"chrono --db {demo} history users 42 --columns email,n") == ["email,name"]
    assert _zsh_complete(bin_dir, f"chrono --db {demo} bl")[0] == "blame"  # then its help: "Show who last set..."


def test_fish_completes_keys_columns_and_conventions(bin_dir: Path, demo: Path, tmp_path: Path) -> None:
    require_shell("fish")
    script = (f"source {ROOT / 'completions' / 'chrono.fish'}; complete -C 'chrono --db {demo} history users 4'; "
              f"echo ===; complete -C 'chrono --db {demo} show users 42 --columns em'; "
              f"echo ===; complete -C 'chrono --db {demo} show users 42 --convention soft'")
    result = subprocess.run(["fish", "--no-config", "-c", script], capture_output=True, text=True,
                            env=_env(bin_dir, HOME=str(tmp_path)), check=True, timeout=60)
    keys, columns, conventions = (
        [line.split("\t")[0] for line in part.strip().splitlines()] for part in result.stdout.split("===\n"))
    assert set(keys) == _history_keys(demo, "4")
    assert columns == ["email"] and conventions == ["soft-delete"]


def test_lookups_stop_at_the_timeout_and_give_nothing(silent_server: tuple[int, threading.Event]) -> None:
    port, _ = silent_server
    start = time.monotonic()
    assert completion.lookup_values(f"postgresql://u@127.0.0.1:{port}/x", (), None, ("keys", "users"),
                                    timeout=0.2) == []
    assert time.monotonic() - start < 5


@needs_bash
def test_a_lookup_slower_than_the_tab_press_is_cached_for_the_next_one(bin_dir: Path, demo: Path) -> None:
    line = f"chrono --db {demo} history users 4"
    start = time.monotonic()
    assert bash_complete(bin_dir, line, CHRONO_COMPLETE_TIMEOUT="0") == []  # no time at all: nothing offered
    waited = time.monotonic() - start
    keys = _history_keys(demo, "4")
    deadline = time.monotonic() + 60  # a detached process finishes the lookup and caches it
    while time.monotonic() < deadline:
        offered = bash_complete(bin_dir, line, CHRONO_COMPLETE_TIMEOUT="0")
        if offered:
            break
        time.sleep(0.5)
    assert set(offered) == keys
    assert waited < 30  # the shell did not wait for the lookup
