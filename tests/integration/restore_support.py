"""Helpers for the write-path tests: run chrono, load library-written fixtures, checksum whole databases."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine, inspect, literal_column, select, table
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from tests.conftest import StoryClone, invoke
from tests.support import forkserver
from tests.support.audit_logs import execute as execute  # statements in one transaction, outside chrono
from tests.support.clone import file_lock
from tests.support.stories import history_meta_story, versioned_rows_story

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ROOT = Path(__file__).resolve().parents[2]


def chrono(runner: CliRunner, url: str, *args: str, config: str | Path | None = None, **kw: Any) -> Any:
    """``chrono --db URL [--config FILE] ARGS`` in-process."""
    head = ["--db", url] + (["--config", str(config)] if config else [])
    return invoke(runner, [*head, *args], **kw)


def chrono_process(url: str, *args: str, config: str | Path | None = None, **kw: Any) -> subprocess.Popen[str]:
    """``chrono`` as a separate process (for kills and races)."""
    head = ["--db", url] + (["--config", str(config)] if config else [])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("CHRONO_DATABASE_URL", None)
    return subprocess.Popen([sys.executable, "-m", "chrono_cli", *head, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, **kw)


def run_support(module: str, url: str, tmp_path: Path, *args: str) -> dict[str, Any]:
    """Run ``python -m tests.support.<module> URL OUT.json ARGS`` (a library's story or read-back script, in its own
    process: a fork of tests/support/forkserver.py) and return the JSON record it wrote."""
    out = tmp_path / f"{module}.json"
    proc = forkserver.run(f"tests.support.{module}", url, str(out), *args)
    assert proc.returncode == 0, proc.stderr
    record: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return record


def support_clone(story_clone: StoryClone, backend: str, module: str, *args: str) -> tuple[str, dict[str, Any]]:
    """A private copy of what ``python -m tests.support.<module> URL OUT ARGS`` writes (built once per run) and the
    record it wrote."""

    def build(url: str) -> dict[str, Any]:
        with tempfile.TemporaryDirectory() as tmp:
            return run_support(module, url, Path(tmp), *args)

    return story_clone(backend, " ".join(("support", module, *args)), build)


def history_meta_clone(story_clone: StoryClone, backend: str) -> tuple[str, dict[str, Any]]:
    """A private copy of ``stories.history_meta_story`` (built once per run) and its record."""
    return story_clone(backend, "history_meta", history_meta_story)


def versioned_rows_clone(story_clone: StoryClone, backend: str) -> tuple[str, dict[str, Any]]:
    """A private copy of ``stories.versioned_rows_story`` (built once per run) and its record."""
    return story_clone(backend, "versioned_rows", versioned_rows_story)


def sa_examples_clone(story_clone: StoryClone, backend: str) -> str:
    """A private copy of ``history_meta_story`` and ``versioned_rows_story`` written into one database."""

    def build(url: str) -> None:
        history_meta_story(url)
        versioned_rows_story(url)

    url, _ = story_clone(backend, "history_meta+versioned_rows", build)
    return url


def load_fixture(url: str, name: str) -> dict[str, Any]:
    """Load ``tests/fixtures/<name>.sql`` into the (PostgreSQL) database and return its expected JSON."""
    engine = create_engine(url)
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            cur.execute((FIXTURES / f"{name}.sql").read_text(encoding="utf-8"))
        raw.commit()
    finally:
        raw.close()
        engine.dispose()
    return json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))


def rows(url: str, table: str, order_by: str | None = None, **where: Any) -> list[dict[str, Any]]:
    """All rows of ``table`` (matching ``where``) as dicts."""
    engine = create_engine(url)
    try:
        md = MetaData()
        md.reflect(engine, only=[table])
        t = md.tables[table]
        query = select(t).where(*(t.c[k] == v for k, v in where.items()))
        query = query.order_by(*([t.c[order_by]] if order_by else list(t.primary_key.columns) or list(t.columns)))
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]
    finally:
        engine.dispose()


def checksum(url: str) -> str:
    """A hash of every row of every table: equal before and after means nothing was written."""
    engine = create_engine(url)
    try:
        digest = hashlib.sha256()
        with engine.connect() as conn:
            for name in sorted(inspect(conn).get_table_names()):  # every column, without reflecting each table
                query = select(literal_column("*")).select_from(table(name))
                data = sorted(repr(tuple(r)) for r in conn.execute(query))
                digest.update(f"{name}:{len(data)}:{'|'.join(data)}".encode())
        return digest.hexdigest()
    finally:
        engine.dispose()


def write_config(path: Path, **hooks: str) -> Path:
    """A chrono.toml with the given [hooks]."""
    lines = ["[hooks]"] + [f"{k} = {json.dumps(v)}" for k, v in hooks.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def dsn(url: str) -> str:
    """A PostgreSQL URL as a libpq connection string (for hook scripts that connect with psycopg2)."""
    u = make_url(url)
    return f"host={u.host} port={u.port or 5432} user={u.username} dbname={u.database}"


def python_hook(path: Path, code: str) -> str:
    """A hook command running ``code`` with this interpreter."""
    path.write_text(code, encoding="utf-8")
    return f"{sys.executable} {path}"


GENERATE = FIXTURES / "generate"
VENVS = Path(os.environ.get("CHRONO_FIXTURE_VENVS", "/tmp/chrono-fixture-venvs"))


def _library_venv(fixture: str) -> Path | None:
    """The fixture generator's virtualenv (exact pins), built once into the cache if it is missing."""
    venv = VENVS / fixture
    python = venv / "bin" / "python"
    marker = venv / ".chrono-ready"
    if marker.exists():
        return python
    VENVS.mkdir(parents=True, exist_ok=True)
    with file_lock(VENVS / f"{fixture}.lock"):  # parallel workers: one builds, the others wait and reuse it
        if marker.exists():
            return python
        return _build_library_venv(fixture, venv, python, marker)


def _build_library_venv(fixture: str, venv: Path, python: Path, marker: Path) -> Path | None:
    requirements = GENERATE / f"requirements-{fixture}.txt"
    build = venv.with_name(f"{fixture}.building-{os.getpid()}")
    try:
        subprocess.run([sys.executable, "-m", "venv", str(build)], check=True, capture_output=True, timeout=300)
        subprocess.run([str(build / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check", "-r",
                        str(requirements)], check=True, capture_output=True, timeout=900)
    except (subprocess.SubprocessError, OSError):
        shutil.rmtree(build, ignore_errors=True)
        return python if python.exists() else None
    shutil.rmtree(venv, ignore_errors=True)
    build.rename(venv)  # venvs record their path: rebuild the scripts' shebangs by re-running venv in place
    subprocess.run([sys.executable, "-m", "venv", "--upgrade", str(venv)], check=False, capture_output=True)
    marker.touch()
    return python


def run_library(fixture: str, url: str, code: str) -> Any:
    """Run ``code`` with the real library of ``fixture`` (its generator venv), importing the generator's app.

    The code may use ``app_mod`` (the imported ``make_<fixture>`` module) and must print one JSON line last.
    Skips when the fixture's virtualenv (built by tests/fixtures/generate/run.sh) is not there.
    """
    import pytest

    python = _library_venv(fixture)
    if python is None:
        message = f"cannot build the {fixture} virtualenv under {VENVS} (needs PyPI)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    script = f"import json, sys\nsys.path.insert(0, {str(GENERATE)!r})\nimport make_{fixture} as app_mod\n{code}\n"
    env = {"TZ": "UTC", "DATABASE_URL": url, "PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/")}
    proc = subprocess.run([str(python), "-c", script], capture_output=True, text=True, env=env, cwd=str(GENERATE),
                          timeout=300, check=False)
    assert proc.returncode == 0, f"library script failed:\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def history_versions(runner: CliRunner, url: str, table: str, key: str) -> list[dict[str, Any]]:
    """``chrono history TABLE KEY -f json``'s versions (the command must succeed)."""
    result = chrono(runner, url, "-f", "json", "history", table, key)
    assert result.exit_code == 0, result.output
    versions: list[dict[str, Any]] = json.loads(result.stdout)["versions"]
    return versions


# what a row-by-row plan notes on every item of a store and a set-based plan once: where actor and reason go
STORE_NOTES = ("has no place for an actor", "is not a user id", "the actor is not recorded",
               "records the database session")


def reverts_agree(ws: Any, changeset_id: str, window: float) -> Any:
    """Plan the revert of ``changeset_id`` set-based and row by row (both forced) and check they agree: the same
    row-change count, conflicts, refusals, skips, rows, actions and values, and notes. Returns the set-based plan (None:
    it went row by row)."""
    from chrono_cli.services.revert import plan_revert
    from chrono_cli.services.revert_set import plan_set_revert, set_head

    head = set_head(ws, changeset_id, window)
    fast = None if head is None else plan_set_revert(ws, head, force=True)
    slow = plan_revert(ws, changeset_id, window=window, force=True)
    if head is not None and not head.exact:  # read light (which changes only), the same changes
        assert [(c.table, c.key, c.at, c.actor) for c in head.changes] \
            == [(c.table, c.key, c.at, c.actor) for c in slow.changeset.changes], changeset_id
    if fast is None:
        return None
    assert fast.change_count == slow.change_count, changeset_id
    assert (fast.conflicts, fast.blocked, fast.skipped) == (slow.conflicts, slow.blocked, slow.skipped), changeset_id
    items = [] if slow.plan is None else [(i.table, dict(i.key), i.action, list(i.diff)) for i in slow.plan.items]
    assert sorted(map(repr, [(i["table"], i["key"], i["action"], i["diff"]) for p in fast.parts for i in p.items()])) \
        == sorted(map(repr, items)), changeset_id  # the same rows, each to the same values
    if slow.plan is not None:  # the notes of the plan, and each store's notes its items repeat, once
        stores = [n for n in dict.fromkeys(n for i in slow.plan.items for n in i.notes)
                  if any(s in n for s in STORE_NOTES)]
        assert sorted(fast.notes[:len(stores)]) == sorted(stores), changeset_id
        assert list(fast.notes[len(stores):]) == list(slow.plan.notes), changeset_id
    return fast


def revert_row_by_row(url: str, changeset_id: str, *, window: float = 5.0, force: bool = True,
                      actor: str | None = None, reason: str | None = None) -> Any:
    """Revert ``changeset_id`` on ``url`` through the row-by-row services (``plan_revert``, then ``apply_plan``: what
    ``chrono revert`` does where the set-based revert does not apply); returns the applied plan."""
    from chrono_cli.config import Config
    from chrono_cli.services.apply import apply_plan
    from chrono_cli.services.revert import plan_revert
    from chrono_cli.services.workspace import Settings, Workspace

    ws = Workspace(Settings(url, (), Config()))
    try:
        result = plan_revert(ws, changeset_id, window=window, force=force, actor=actor, reason=reason)
        assert result.plan is not None and not result.blocked, changeset_id
        return apply_plan(ws, result.plan).plan
    finally:
        ws.close()


def revert_both_ways(runner: CliRunner, url: str, other: str, changeset_id: str, tmp_path: Path,
                     tables: list[str], stamp: str) -> Any:
    """Revert ``changeset_id`` (forced) set-based on ``url`` and row by row (``revert_row_by_row``) on ``other``, a
    copy of it; check ``tables`` end alike (but for the ``stamp`` column, the time of the write). Returns the
    set-based run."""
    done = chrono(runner, url, "-f", "json", "revert", changeset_id, "--force", "--yes")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["set_based"] is True
    revert_row_by_row(other, changeset_id)
    for name in tables:
        assert [{k: v for k, v in r.items() if k != stamp} for r in rows(url, name)] \
            == [{k: v for k, v in r.items() if k != stamp} for r in rows(other, name)], name
    return done
