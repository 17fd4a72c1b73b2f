"""Database-side failures end in one line on stderr, exit code 7, and never show a password."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from chrono_cli.errors import ExitCode
from tests.conftest import MYSQL_URL, invoke, require_server


def _history_meta_tables(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE item (id integer PRIMARY KEY, name varchar(20), version integer NOT NULL)"))
        conn.execute(text("CREATE TABLE item_history (id integer NOT NULL, name varchar(20), version integer NOT NULL,"
                          " changed timestamp, PRIMARY KEY (id, version))"))
        conn.execute(text("INSERT INTO item VALUES (1, 'b', 2)"))
        conn.execute(text("INSERT INTO item_history VALUES (1, 'a', 1, '2026-01-01 00:00:00')"))
    engine.dispose()


def test_missing_privilege_on_postgresql(runner: CliRunner, pg_url: str) -> None:
    _history_meta_tables(pg_url)
    role = f"chrono_ro_{uuid.uuid4().hex[:8]}"
    engine = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))  # generated identifier
        conn.execute(text(f"GRANT SELECT ON item TO {role}"))  # but not item_history
    try:
        url = make_url(pg_url).set(username=role).render_as_string(hide_password=False)
        result = invoke(runner, ["--db", url, "history", "item", "1"])
        assert result.exit_code == ExitCode.DATABASE, result.output
        assert "missing privilege" in result.stderr and "item_history" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    finally:
        with engine.connect() as conn:
            conn.execute(text(f"REVOKE ALL ON item FROM {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
        engine.dispose()


def test_wrong_password_on_mariadb(runner: CliRunner, mysql_url: str) -> None:
    require_server(MYSQL_URL, "MariaDB")
    url = make_url(mysql_url).set(password="definitely-wrong-pw").render_as_string(hide_password=False)
    result = invoke(runner, ["--db", url, "tables"])
    assert result.exit_code == ExitCode.DATABASE
    assert "cannot connect" in result.stderr
    assert "definitely-wrong-pw" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_database_on_postgresql(runner: CliRunner, pg_url: str) -> None:
    url = make_url(pg_url).set(database="no_such_db_chrono", password="pw-secret").render_as_string(
        hide_password=False)
    result = invoke(runner, ["--db", url, "tables"])
    assert result.exit_code == ExitCode.DATABASE and "cannot connect" in result.stderr
    assert "pw-secret" not in result.output


def test_damaged_history_store_is_reported(runner: CliRunner, pg_url: str) -> None:
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE appuser (id integer PRIMARY KEY, balance numeric(10,2), version integer)"))
        conn.execute(text("CREATE TABLE chrononaut_activity (id bigserial PRIMARY KEY, table_name text NOT NULL, "
                          "changed timestamptz NOT NULL, version integer NOT NULL, key jsonb NOT NULL, "
                          "data jsonb NOT NULL, user_info jsonb NOT NULL, extra_info jsonb NOT NULL)"))
        conn.execute(text("INSERT INTO appuser VALUES (1, 5, 0)"))
        conn.execute(text("INSERT INTO chrononaut_activity (table_name, changed, version, key, data, user_info, "
                          "extra_info) VALUES ('appuser', now(), 0, '{\"id\": 1}', "
                          "'{\"id\": 1, \"balance\": \"lots\", \"version\": 0}', '{}', '{}')"))
    engine.dispose()
    result = invoke(runner, ["--db", pg_url, "history", "appuser", "1"])
    assert result.exit_code == ExitCode.DATABASE and "cannot read 'lots'" in result.stderr
