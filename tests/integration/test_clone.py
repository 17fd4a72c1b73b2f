"""The test-database machinery itself (tests/support/clone.py): copies are faithful, private and built once."""

from __future__ import annotations

import subprocess
import sys
import uuid
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    inspect,
    select,
    text,
)

from tests.conftest import SERVERS, StoryClone, require_server
from tests.integration.restore_support import checksum
from tests.support.clone import HOST, CloneError, Databases, sweep


def _tables(md: MetaData) -> tuple[Table, Table]:
    parent = Table("parent", md, Column("id", Integer, primary_key=True, autoincrement=True),
                   Column("name", String(20)))
    child = Table("child", md, Column("id", Integer, primary_key=True),
                  Column("parent_id", Integer, ForeignKey("parent.id"), nullable=False))
    return parent, child


def _build(calls: list[str]) -> Any:
    def build(url: str) -> dict[str, Any]:
        calls.append(url)
        engine = create_engine(url)
        md = MetaData()
        parent, child = _tables(md)
        md.create_all(engine)
        with engine.begin() as conn:
            conn.execute(insert(parent), [{"name": "a"}, {"name": "b"}, {"name": "c"}])
            conn.execute(insert(child), [{"id": 1, "parent_id": 1}, {"id": 2, "parent_id": 3}])
            if engine.dialect.name in ("postgresql", "mysql", "mariadb"):
                conn.execute(text("CREATE SEQUENCE counter"))
                for _ in range(3):
                    conn.execute(text("SELECT nextval(counter)" if engine.dialect.name != "postgresql"
                                      else "SELECT nextval('counter')"))
        engine.dispose()
        return {"parents": ["a", "b", "c"], "nested": {"list": [1, 2]}}

    return build


def test_a_story_is_built_once_and_each_copy_is_private(backend: str, story_clone: StoryClone) -> None:
    calls: list[str] = []
    story = f"clone-test {uuid.uuid4().hex}"  # a story no other test builds
    first, record = story_clone(backend, story, _build(calls))
    record["nested"]["list"].append(3)  # the record is the test's own copy
    second, again = story_clone(backend, story, _build(calls))
    assert len(calls) == 1 and calls[0] not in (first, second) and first != second
    assert again == {"parents": ["a", "b", "c"], "nested": {"list": [1, 2]}}
    assert checksum(first) == checksum(second)

    engine = create_engine(first)
    md = MetaData()
    parent, child = _tables(md)
    with engine.begin() as conn:
        assert [r.name for r in conn.execute(select(parent).order_by(parent.c.id))] == ["a", "b", "c"]
        # the key counter and the foreign key came along
        new_id = conn.execute(insert(parent).values(name="d")).inserted_primary_key[0]
        assert new_id == 4
        if engine.dialect.name != "sqlite":
            nextval = "SELECT nextval('counter')" if engine.dialect.name == "postgresql" else "SELECT nextval(counter)"
            assert conn.execute(text(nextval)).scalar_one() == 4  # what the story's next draw would have been
    fks = inspect(engine).get_foreign_keys("child")
    engine.dispose()
    assert [(fk["referred_table"], fk["constrained_columns"]) for fk in fks] == [("parent", ["parent_id"])]
    assert checksum(first) != checksum(second)  # the write went to one copy only


def test_mariadb_template_with_a_trigger_is_refused(story_clone: StoryClone) -> None:
    def build(url: str) -> None:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (id INT PRIMARY KEY, n INT)"))
            conn.execute(text("CREATE TRIGGER t_bump BEFORE INSERT ON t FOR EACH ROW SET NEW.n = 1"))
        engine.dispose()

    with pytest.raises(CloneError, match="trigger"):
        story_clone("mariadb", f"clone-test trigger {uuid.uuid4().hex}", build)


def test_sweep_drops_only_the_databases_of_ended_runs(databases: Databases) -> None:
    """A dead run's database is dropped, a live run's is kept (PostgreSQL), another host's is kept. The dropped
    one is on MariaDB: a PostgreSQL drop waits for a checkpoint, 10 to 50 s while the rest of the suite writes,
    and the selection is the same for both servers (every run's start sweeps PostgreSQL's for real)."""
    require_server(SERVERS.postgresql, "PostgreSQL")
    require_server(SERVERS.mariadb, "MariaDB")
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True)
    dead = int(ended.stdout)
    names = {"dead": f"chrono_t_{HOST}_{dead}_{uuid.uuid4().hex[:12]}",
             "alive": f"chrono_t_{HOST}_{databases.run}_{uuid.uuid4().hex[:12]}",
             "other host": f"chrono_t_{'x' * len(HOST)}_{dead}_{uuid.uuid4().hex[:12]}"}
    admin = create_engine(SERVERS.postgresql, isolation_level="AUTOCOMMIT")
    other = create_engine(SERVERS.mariadb, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{names["alive"]}"')
        with other.connect() as conn:
            for name in (names["dead"], names["other host"]):
                conn.exec_driver_sql(f"CREATE DATABASE `{name}`")
        dropped = sweep(SERVERS, lambda url: True, only=set(names.values()))
        with admin.connect() as conn:
            left = {r[0] for r in conn.execute(text("SELECT datname FROM pg_database"))}
        with other.connect() as conn:
            left |= {r[0] for r in conn.execute(text("SELECT schema_name FROM information_schema.schemata"))}
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{names['other host']}`")  # no run of ours owns it
    finally:
        admin.dispose()
        other.dispose()
    assert names["dead"] in dropped and names["dead"] not in left
    assert names["alive"] in left and names["other host"] in left
