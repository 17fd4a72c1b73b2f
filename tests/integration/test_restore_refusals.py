"""Every refusal writes nothing: no-ops, values that no longer fit, broken constraints, bad input, no privilege."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from tests.conftest import StoryClone
from tests.integration.restore_support import (
    checksum,
    chrono,
    execute,
    history_meta_clone,
    load_fixture,
    run_library,
)
from tests.support.sa_examples import load_history_meta
from tests.support.stories import history_meta_models


def refused(runner, url: str, *args: str, code: int = 6, says: str = "") -> str:
    """Run chrono, expect exit ``code`` with a one-line error containing ``says``, and no change at all."""
    before = checksum(url)
    result = chrono(runner, url, *args, "--yes")
    assert result.exit_code == code, result.output
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and says in errors[0], result.stderr
    assert "Traceback" not in result.output
    assert checksum(url) == before
    return errors[0]


def test_no_op_and_bad_versions(runner, sqlite_or_pg_backend: str, story_clone: StoryClone) -> None:
    url, _ = history_meta_clone(story_clone, sqlite_or_pg_backend)
    refused(runner, url, "restore", "appuser", "1", "--version", "5", says="already in the state of version 5")
    refused(runner, url, "restore", "appuser", "1", "--version", "9", code=4, says="no version 9")
    refused(runner, url, "restore", "appuser", "2", "--version", "5", code=4, says="no version 5")  # user 1's
    refused(runner, url, "restore", "appuser", "1", "--version", "#99", code=4, says="no position p99")
    refused(runner, url, "restore", "appuser", "77", "--version", "1", code=4, says="no row with key")
    refused(runner, url, "restore", "nosuchtable", "1", code=4, says="no table named")
    refused(runner, url, "restore", "appuser", "1", "--version", "2", "--at", "1h", code=2, says="not both")
    refused(runner, url, "restore", "appuser", "1", code=2, says="nothing to undo")
    refused(runner, url, "restore", "appuser", "1", "--version", "2", "--only", "nickname", code=2,
            says="no column nickname")
    refused(runner, url, "restore", "appuser", "1", "--version", "2", "--only", "id", code=2, says="is the key")
    refused(runner, url, "restore", "appuser", "2", "--version", "1", "--only", "name", code=2,
            says="--only cannot be used to re-create")
    refused(runner, url, "archive", "appuser", "1", code=5, says="no archive column")
    refused(runner, url, "restore", "appuser", "abc", "--version", "1", code=2, says="not a valid int")


def test_unique_and_foreign_keys(runner, sqlite_or_pg_backend: str, story_clone: StoryClone) -> None:
    url, _ = history_meta_clone(story_clone, sqlite_or_pg_backend)
    m = history_meta_models()
    engine = create_engine(url)
    factory = sessionmaker(engine)
    load_history_meta().versioned_session(factory)
    with factory() as s:
        s.add(m.AppUser(id=4, email="bob@example.com", name="Another Bob"))  # takes deleted user 2's email
        s.get(m.AppUser, 3).email = "alice@example.com"  # user 1's email at version 2
        s.commit()
    line = refused(runner, url, "restore", "appuser", "2", says="would break")
    assert "email" in line and "id=4" in line
    line = refused(runner, url, "restore", "appuser", "1", "--version", "2", says="would break")
    assert "id=3" in line and "alice@example.com" in line
    ok = chrono(runner, url, "restore", "appuser", "1", "--version", "2", "--only", "name,role", "--yes")
    assert ok.exit_code == 0, ok.output
    engine.dispose()


def test_undelete_needs_its_foreign_keys(runner, pg_url: str) -> None:
    """Chrononaut (layout A) deletes a note and then its owner; the note can come back only after the owner."""
    load_fixture(pg_url, "chrononaut_02")
    run_library("chrononaut_02", pg_url, """
with app_mod.acting_as("admin@example.com", "203.0.113.10"):
    app_mod.db.session.delete(app_mod.Note.query.get(1))
    app_mod.db.session.commit()
    app_mod.db.session.delete(app_mod.User.query.get(1))
    app_mod.db.session.commit()
print("{}")
""")
    line = refused(runner, pg_url, "restore", "note", "1", says="foreign key")
    assert "no public.appuser row with id=1" in line
    for table in ("appuser", "note"):
        ok = chrono(runner, pg_url, "restore", table, "1", "--yes")
        assert ok.exit_code == 0, ok.output


def test_values_that_no_longer_fit(runner, story_clone: StoryClone) -> None:
    pg_url, _ = history_meta_clone(story_clone, "postgresql")
    execute(pg_url, "ALTER TABLE appuser ALTER COLUMN name TYPE varchar(8) USING left(name, 8)")
    refused(runner, pg_url, "restore", "appuser", "1", "--version", "2", says="longer than 8")
    execute(pg_url, "ALTER TABLE appuser DROP COLUMN role")
    refused(runner, pg_url, "restore", "appuser", "1", "--version", "2", "--only", "role", says="no longer exists")
    line = refused(runner, pg_url, "restore", "appuser", "1", "--version", "2", says="role")
    assert "no longer exists" in line and "longer than 8" in line  # every problem, in one line
    ok = chrono(runner, pg_url, "restore", "appuser", "1", "--version", "3", "--only", "email,balance", "--yes")
    assert ok.exit_code == 0, ok.output


def test_unrecorded_columns(runner, pg_url: str) -> None:
    load_fixture(pg_url, "chrononaut_02")
    execute(pg_url, "ALTER TABLE appuser ADD COLUMN tier text NOT NULL DEFAULT 'gold'",
            "ALTER TABLE appuser ALTER COLUMN tier DROP DEFAULT")
    refused(runner, pg_url, "restore", "appuser", "2", says="tier: not recorded by the history, and NOT NULL")
    execute(pg_url, "ALTER TABLE appuser ALTER COLUMN password SET NOT NULL")
    line = refused(runner, pg_url, "restore", "appuser", "2", says="password")
    assert "tier" in line
    ok = chrono(runner, pg_url, "restore", "appuser", "1", "--version", "1", "--yes")
    assert ok.exit_code == 0, ok.output
    assert "kept: tier" in ok.stderr and "kept: password" in ok.stderr


def test_read_only_user(runner, story_clone: StoryClone) -> None:
    pg_url, _ = history_meta_clone(story_clone, "postgresql")
    role = f"chrono_ro_{uuid.uuid4().hex[:8]}"
    execute(pg_url, f"CREATE ROLE {role} LOGIN", f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
    try:
        reader = make_url(pg_url).set(username=role).render_as_string(hide_password=False)
        assert chrono(runner, reader, "restore", "appuser", "1", "--version", "2", "--dry-run").exit_code == 0
        before = checksum(pg_url)
        result = chrono(runner, reader, "restore", "appuser", "1", "--version", "2", "--yes")
        assert result.exit_code == 7, result.output
        assert "missing privilege" in result.stderr and "permission denied" in result.stderr
        assert checksum(pg_url) == before
    finally:
        execute(pg_url, f"DROP OWNED BY {role}")
        admin = create_engine(make_url(pg_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"))
            conn.execute(text(f"DROP ROLE {role}"))
        admin.dispose()


@pytest.mark.parametrize("spec", ["#1", "p1", "1"])
def test_deletion_is_not_a_target(runner, sqlite_or_pg_backend: str, story_clone: StoryClone, spec: str) -> None:
    url, _ = history_meta_clone(story_clone, sqlite_or_pg_backend)
    shown = chrono(runner, url, "-f", "json", "history", "appuser", "2")
    import json

    seq = json.loads(shown.stdout)["versions"][-1]["seq"]
    refused(runner, url, "restore", "appuser", "2", "--version", f"#{seq}", code=2, says="is its deletion")
