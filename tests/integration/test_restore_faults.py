"""Faults in the middle of a write leave the database exactly as it was; concurrent writers are detected.

* the connection is terminated (pg_terminate_backend from inside the before_commit hook);
* chrono is killed with SIGKILL while the before_commit hook sleeps (the transaction is open);
  (both for a single-row restore, a revert of a change set and a set-based restore of many rows)
* another writer changes the row between plan and apply;
* two restores race on one row: one wins, the other refuses or waits its turn; history stays complete.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from tests.conftest import StoryClone
from tests.integration.restore_support import (
    checksum,
    chrono,
    chrono_process,
    dsn,
    history_meta_clone,
    python_hook,
    rows,
    write_config,
)
from tests.support.sa_examples import load_history_meta
from tests.support.stories import history_meta_models

STATE = ("email", "name", "role", "balance")


def orm(url: str) -> Any:
    engine = create_engine(url)
    factory = sessionmaker(engine)
    load_history_meta().versioned_session(factory)
    return engine, factory


def states(url: str, key: int) -> tuple[list[int], list[tuple[Any, ...]]]:
    """Version numbers and states of ``key`` as the example's ORM reads them: history rows, then the live row."""
    m = history_meta_models()
    engine, factory = orm(url)
    try:
        with factory() as s:
            h = m.AppUser.__history_mapper__.class_
            hist = list(s.scalars(select(h).where(h.id == key).order_by(h.version)))
            live = s.get(m.AppUser, key)
            numbers = [r.version for r in hist] + [live.version]
            values = [tuple(getattr(r, c) for c in STATE) for r in (*hist, live)]
            return numbers, values
    finally:
        engine.dispose()


def wait_until(predicate: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def idle_transactions(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'")).scalar_one())
    finally:
        engine.dispose()


WRITES = ["restore", "revert", "bulk"]


def write_args(runner: Any, url: str, record: dict[str, Any], write: str) -> list[str]:
    """A write of the given kind on the history_meta story: one row, a whole change set, or many rows."""
    if write == "restore":
        return ["restore", "appuser", "1", "--version", "2", "--yes"]
    if write == "revert":
        listed = chrono(runner, url, "-f", "json", "changes", "appuser", "--window", "0", "-n", "1")
        newest = json.loads(listed.stdout)["changesets"][0]["id"]
        return ["revert", newest, "--window", "0", "--yes"]
    when = record["steps"][8]["probe_at"].isoformat()
    return ["restore", "appuser", "--at", when, "--all-changed-since", when, "--yes"]


@pytest.mark.parametrize("write", WRITES)
def test_connection_terminated_before_commit(runner, story_clone: StoryClone, tmp_path: Path, write: str) -> None:
    pg_url, record = history_meta_clone(story_clone, "postgresql")
    hook = python_hook(tmp_path / "terminate.py", f"""
import psycopg2
conn = psycopg2.connect({dsn(pg_url)!r})
conn.autocommit = True
cur = conn.cursor()
cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'")
assert cur.fetchall(), "no open transaction to terminate"
""")
    config = write_config(tmp_path / "chrono.toml", before_commit=hook)
    args = write_args(runner, pg_url, record, write)
    before = checksum(pg_url)
    result = chrono(runner, pg_url, *args, config=config)
    assert result.exit_code == 7, result.output
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in result.output
    assert checksum(pg_url) == before
    again = chrono(runner, pg_url, *args)
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize("write", WRITES)
def test_killed_while_the_transaction_is_open(runner, sqlite_or_pg_backend: str, story_clone: StoryClone,
                                              tmp_path: Path, write: str) -> None:
    url, record = history_meta_clone(story_clone, sqlite_or_pg_backend)
    pidfile = tmp_path / "hook.pid"
    hook = python_hook(tmp_path / "sleep.py", f"""
import os, time
open({str(pidfile)!r}, "w").write(str(os.getpid()))
time.sleep(120)
""")
    config = write_config(tmp_path / "chrono.toml", before_commit=hook)
    args = write_args(runner, url, record, write)
    before = checksum(url)
    proc = chrono_process(url, *args, config=config)
    try:
        wait_until(lambda: pidfile.exists() and pidfile.read_text().strip(), "the before_commit hook to start")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        if pidfile.exists() and pidfile.read_text().strip():
            try:
                os.kill(int(pidfile.read_text()), signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    if make_url(url).get_backend_name() == "postgresql":
        wait_until(lambda: idle_transactions(url) == 0, "the server to end the dead session")
    assert checksum(url) == before
    numbers, _ = states(url, 1)
    assert numbers == [1, 2, 3, 4, 5]


def test_row_changed_between_plan_and_apply(runner, sqlite_or_pg_backend: str,
                                            story_clone: StoryClone, tmp_path: Path) -> None:
    url, _ = history_meta_clone(story_clone, sqlite_or_pg_backend)
    plan = tmp_path / "fix.json"
    untouched = checksum(url)
    made = chrono(runner, url, "restore", "appuser", "1", "--version", "2", "--plan", str(plan))
    assert made.exit_code == 0, made.output
    assert checksum(url) == untouched
    m = history_meta_models()
    engine, factory = orm(url)
    with factory() as s:
        s.get(m.AppUser, 1).name = "Changed meanwhile"
        s.commit()
    engine.dispose()
    changed = checksum(url)
    result = chrono(runner, url, "apply", str(plan), "--yes")
    assert result.exit_code == 6, result.output
    assert "changed since the plan was made" in result.stderr
    assert checksum(url) == changed


def test_history_changed_between_plan_and_apply(runner, sqlite_or_pg_backend: str,
                                                story_clone: StoryClone, tmp_path: Path) -> None:
    url, _ = history_meta_clone(story_clone, sqlite_or_pg_backend)
    plan = tmp_path / "undelete.json"
    assert chrono(runner, url, "restore", "appuser", "2", "--plan", str(plan)).exit_code == 0
    m = history_meta_models()
    engine, factory = orm(url)
    with factory() as s:  # someone re-creates user 2 and deletes it again: the row is still absent
        s.add(m.AppUser(id=2, email="bob2@example.com", name="Bob II"))
        s.commit()
    with factory() as s:
        s.delete(s.get(m.AppUser, 2))
        s.commit()
    engine.dispose()
    changed = checksum(url)
    result = chrono(runner, url, "apply", str(plan), "--yes")
    assert result.exit_code == 6, result.output
    assert "history" in result.stderr and "changed since the plan" in result.stderr
    assert checksum(url) == changed


@pytest.mark.parametrize("targets", [("2", "2"), ("2", "3")], ids=["same-target", "different-targets"])
def test_two_restores_race(sqlite_or_pg_backend: str, story_clone: StoryClone, tmp_path: Path,
                           targets: tuple[str, str]) -> None:
    url, rec = history_meta_clone(story_clone, sqlite_or_pg_backend)
    steps = {s["version"]: s["state"] for s in rec["timelines"]["appuser"][1]}
    hook = f"{sys.executable} -c \"import time; time.sleep(1)\""  # hold the lock while the other one arrives
    config = write_config(tmp_path / "chrono.toml", before_commit=hook)
    procs = [chrono_process(url, "-f", "json", "restore", "appuser", "1", "--version", t, "--yes", config=config)
             for t in targets]
    outcomes = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        outcomes.append((p.returncode, out, err))
    codes = sorted(code for code, _, _ in outcomes)
    assert set(codes) <= {0, 6} and 0 in codes, outcomes
    if targets[0] == targets[1]:
        assert codes == [0, 6], outcomes
    for code, _, err in outcomes:
        if code == 6:
            assert "changed since the plan" in err or "already in the state" in err, err
    numbers, values = states(url, 1)
    wins = [json.loads(out)["items"][0] for code, out, _ in outcomes if code == 0]
    assert numbers == list(range(1, 6 + len(wins)))  # no gap, no duplicate: every state is a version
    original = tuple(steps[5][c] for c in STATE)
    assert original in values[:-1]  # the pre-restore state is in the history
    for item in wins:
        target = steps[int(item["target"]["version"])]
        assert tuple(target[c] for c in STATE) in values
    assert rows(url, "appuser_history", id=1)[-1]["version"] == numbers[-2]
