"""A transaction-precise MariaDB table at a time, with overlapping writers: chrono answers what was committed then.

The reference is the server's live table, read after every commit by a fresh statement (it sees every committed
transaction). The server's own ``FOR SYSTEM_TIME AS OF TIMESTAMP`` is not: on such a table it answers what the last
transaction committed before the time could see, and under REPEATABLE READ a row changed by a transaction that
committed before it but after it began is left out altogether (chrono_cli/conventions/builtin/mariadb_versioning/
as_of.py). Hypothesis drives three sessions (each REPEATABLE READ or READ COMMITTED) writing a few keys in
interleaved transactions; chrono's ``show --at`` (pushed down and from the whole timeline) and its bulk restore must
give the live table's state at every commit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pymysql
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from chrono_cli.config import Config
from chrono_cli.errors import ExitCode, VersionNotFound
from chrono_cli.services.history import load_timeline
from chrono_cli.services.select import at_time, record_at
from chrono_cli.services.target import open_target
from chrono_cli.services.workspace import Settings, Workspace
from tests.conftest import invoke
from tests.fuzz.strategies import examples

KEYS = (1, 2, 3, 4)
DDL = ("CREATE TABLE acct (id INT PRIMARY KEY, v VARCHAR(20) NULL, "
       "s BIGINT UNSIGNED GENERATED ALWAYS AS ROW START INVISIBLE, "
       "e BIGINT UNSIGNED GENERATED ALWAYS AS ROW END INVISIBLE, PERIOD FOR SYSTEM_TIME (s, e)) "
       "WITH SYSTEM VERSIONING")
LEVELS = ("REPEATABLE READ", "READ COMMITTED")

# a step: (session, key or None for COMMIT, value: None deletes an existing row, else insert or update to it)
STEPS = st.lists(st.tuples(st.integers(0, 2), st.one_of(st.none(), st.sampled_from(KEYS)),
                           st.one_of(st.none(), st.sampled_from(["a", "b", "c", ""]))), min_size=1, max_size=14)


def _connect(url: str, level: str | None = None) -> Any:
    u = make_url(url)
    conn = pymysql.connect(host=u.host, port=u.port or 3306, user=u.username, password=u.password or "",
                           database=u.database, autocommit=level is None)
    if level is not None:
        with conn.cursor() as cur:
            cur.execute(f"SET SESSION TRANSACTION ISOLATION LEVEL {level}")
    return conn


def _sql(conn: Any, statement: str, *args: Any) -> list[Any]:
    with conn.cursor() as cur:
        cur.execute(statement, args)
        return list(cur.fetchall())


@dataclass
class Story:
    """Sessions writing ``acct``; ``marks``: (time, the live rows) read after each commit."""

    url: str
    levels: tuple[str, ...]
    observer: Any = None
    sessions: list[Any] = field(default_factory=list)
    pending: list[dict[int, str | None]] = field(default_factory=list)  # per session: its open transaction's writes
    committed: dict[int, str | None] = field(default_factory=dict)
    marks: list[tuple[datetime, dict[int, str | None]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.observer = _connect(self.url)
        self.sessions = [_connect(self.url, level) for level in self.levels]
        self.pending = [{} for _ in self.levels]

    def mark(self) -> None:
        (now,) = _sql(self.observer, "SELECT UNIX_TIMESTAMP(NOW(6))")[0]
        live = dict(_sql(self.observer, "SELECT id, v FROM acct"))
        self.committed = live
        at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(Decimal(now) * 1_000_000))
        self.marks.append((at, live))

    def write(self, n: int, key: int, value: str | None) -> None:
        if any(key in p for i, p in enumerate(self.pending) if i != n):
            return  # another open transaction holds the row: this session would wait for it
        mine = self.pending[n]
        exists = (mine[key] is not None) if key in mine else key in self.committed
        session = self.sessions[n]
        if value is None and exists:
            _sql(session, "DELETE FROM acct WHERE id = %s", key)
        elif exists:
            _sql(session, "UPDATE acct SET v = %s WHERE id = %s", value, key)
        else:
            value = "new" if value is None else value
            _sql(session, "INSERT INTO acct (id, v) VALUES (%s, %s)", key, value)
        mine[key] = None if value is None and exists else value

    def commit(self, n: int) -> None:
        if self.pending[n]:
            self.sessions[n].commit()
            self.pending[n] = {}
            self.mark()

    def close(self) -> None:
        for conn in (*self.sessions, self.observer):
            conn.close()


def _shown(cat: Any, target: Any, key: int, at: datetime) -> tuple[str | None, ...]:
    """chrono's value of ``key`` at ``at`` from the pushed-down read and from the whole timeline ("absent": none)."""
    answers = []
    for pushed in (True, False):
        timeline = load_timeline(cat, target, str(key), at=at if pushed else None)
        try:
            answers.append(record_at(timeline, at_time(timeline, at)).version.values["v"])
        except VersionNotFound:
            answers.append("absent")
    return tuple(answers)


@examples(6)
@given(levels=st.tuples(*(st.sampled_from(LEVELS) for _ in range(3))), steps=STEPS, restore_to=st.integers(0, 20))
def test_states_at_every_commit_are_the_live_tables(mysql_url: str, levels: tuple[str, ...],
                                                    steps: list[tuple[int, int | None, str | None]],
                                                    restore_to: int) -> None:
    admin = _connect(mysql_url)
    with admin.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS acct")
        cur.execute(DDL)
        cur.execute("INSERT INTO acct (id, v) VALUES (1, 'one'), (2, 'two'), (3, 'three')")
    admin.close()
    story = Story(mysql_url, levels)
    try:
        story.mark()
        for n, key, value in steps:
            if key is None:
                story.commit(n)
            else:
                story.write(n, key, value)
        for n in range(len(levels)):
            story.commit(n)
    finally:
        story.close()

    ws = Workspace(Settings(mysql_url, (), Config()))
    try:
        with ws.catalog() as cat:
            target = open_target(cat, "acct")
            ever = {k for _, live in story.marks for k in live}  # a key never written has no timeline
            for at, live in story.marks:
                for key in sorted(ever):
                    expected = live[key] if key in live else "absent"
                    assert _shown(cat, target, key, at) == (expected, expected), (at, key, story.marks)
    finally:
        ws.close()

    at, then = story.marks[restore_to % len(story.marks)]
    result = invoke(CliRunner(), ["--db", mysql_url, "-f", "json", "restore", "acct", "--at", at.isoformat(),
                                  "--all-changed-since", at.isoformat(), "--yes"])
    assert result.exit_code == 0 or (result.exit_code == ExitCode.REFUSED and "nothing to restore" in result.stderr), \
        result.output
    observer = _connect(mysql_url)
    try:
        after = dict(_sql(observer, "SELECT id, v FROM acct"))
    finally:
        observer.close()
    final = story.marks[-1][1]
    created_later = {k: v for k, v in final.items() if k not in then}
    assert after == {**then, **created_later}, (json.loads(result.stdout or "{}"), story.marks)


def test_a_row_an_overlapping_transaction_changed_is_there_later(mysql_url: str) -> None:
    """A updates row 1 and B row 2, both REPEATABLE READ, B began before A committed and commits after: at any time
    after both, row 1 holds A's value (the server's AS OF leaves row 1 out: B never saw A's commit)."""
    admin = _connect(mysql_url)
    _sql(admin, DDL)
    _sql(admin, "INSERT INTO acct (id, v) VALUES (1, 'a0'), (2, 'b0')")
    story = Story(mysql_url, ("REPEATABLE READ", "REPEATABLE READ"))
    try:
        story.mark()
        story.write(0, 1, "a1")
        story.write(1, 2, "b1")
        story.commit(0)
        story.commit(1)
    finally:
        story.close()
    at, live = story.marks[-1]
    assert live == {1: "a1", 2: "b1"}
    server = dict(_sql(admin, "SELECT id, v FROM acct FOR SYSTEM_TIME AS OF TIMESTAMP FROM_UNIXTIME(%s)",
                       Decimal(at.timestamp()).quantize(Decimal("0.000001"))))
    shown = invoke(CliRunner(), ["--db", mysql_url, "-f", "json", "show", "acct", "1", "--at", at.isoformat()])
    assert shown.exit_code == 0, (shown.output, server)
    assert json.loads(shown.stdout)["version"]["values"]["v"] == "a1", server
    _sql(admin, "UPDATE acct SET v = 'later' WHERE id IN (1, 2)")
    admin.close()
    restored = invoke(CliRunner(), ["--db", mysql_url, "restore", "acct", "--at", at.isoformat(),
                                    "--all-changed-since", at.isoformat(), "--yes"])
    assert restored.exit_code == 0, (restored.output, server)
    observer = _connect(mysql_url)
    assert dict(_sql(observer, "SELECT id, v FROM acct")) == live, server
    observer.close()
