"""`chrono history` prints while it reads (issue 15): the same output as reading the history whole, in memory
that does not grow with the history, and a pager that quits early ends chrono cleanly."""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from chrono_cli.config import Config
from chrono_cli.render import OutputFormat, render
from chrono_cli.services import read
from chrono_cli.services.workspace import Settings, Workspace
from tests.cli.test_terminal import run_tty
from tests.conftest import invoke
from tests.support.declared import build as build_declared
from tests.support.stories import history_meta_story

TABLES = [
    "CREATE TABLE appuser (id integer PRIMARY KEY, email varchar(120) NOT NULL, name varchar(80), "
    "version integer NOT NULL)",
    "CREATE TABLE appuser_history (id integer NOT NULL, email varchar(120) NOT NULL, name varchar(80), "
    "version integer NOT NULL, changed timestamp, PRIMARY KEY (id, version))",
]
FILL = {  # user :id with :n versions: :n - 1 history rows and the live row
    "postgresql": "INSERT INTO appuser_history SELECT :id, 'u@example.com', 'name v' || v, v, "
    "timestamp '2026-01-01' + v * interval '1 second' FROM generate_series(1, :n - 1) v",
    "sqlite": "WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < :n - 1) "
    "INSERT INTO appuser_history SELECT :id, 'u@example.com', 'name v' || v, v, "
    "datetime('2026-01-01', '+' || v || ' seconds') FROM s",
}


def long_histories(url: str, sizes: dict[int, int]) -> None:
    """history_meta tables where user ``id`` has ``sizes[id]`` versions."""
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in TABLES:
            conn.execute(text(statement))
        for user, n in sizes.items():
            conn.execute(
                text("INSERT INTO appuser VALUES (:id, 'u@example.com', 'name v' || :n, :n)"), {"id": user, "n": n}
            )
            conn.execute(text(FILL[engine.dialect.name]), {"id": user, "n": n})
    engine.dispose()


def _args(url: str, config: Path | None) -> list[str]:
    return ["--db", url, *(["--config", str(config)] if config else [])]


@pytest.mark.parametrize("store", ["history-meta", "old-state", "new-state"])
def test_streamed_history_is_the_history_read_whole(
    runner: CliRunner, sqlite_or_pg_url: str, store: str, tmp_path: Path
) -> None:
    """Every format prints exactly what reading every version first prints (``--limit`` reads them all)."""
    if store == "history-meta":
        history_meta_story(sqlite_or_pg_url)
        config, table, keys = None, "appuser", ("1", "2", "3")
    else:
        config, table, keys = build_declared(sqlite_or_pg_url, store, tmp_path), "invoice", ("1", "2")
    for key in keys:
        for fmt in ("json", "jsonl", "csv", "plain", "table"):
            args = [*_args(sqlite_or_pg_url, config), "-f", fmt, "history", table, key]
            streamed, whole = invoke(runner, args), invoke(runner, [*args, "--limit", "1000"])
            assert streamed.exit_code == 0, streamed.output
            assert (streamed.stdout, streamed.stderr) == (whole.stdout, whole.stderr), (store, key, fmt)
            assert "p1" in streamed.stdout or '"seq": 1' in streamed.stdout


def _peak(ws: Workspace, key: str) -> tuple[int, int]:
    """Peak memory Python allocated while the history of ``key`` was printed as jsonl, and the lines printed."""
    counted = _Lines()
    tracemalloc.start()
    try:
        with read.history_stream(ws, "appuser", key) as ts:
            render(ts, OutputFormat.JSONL, counted)
        return tracemalloc.get_traced_memory()[1], counted.lines
    finally:
        tracemalloc.stop()


class _Lines(io.TextIOBase):
    """A sink that only counts the lines written to it."""

    def __init__(self) -> None:
        super().__init__()
        self.lines = 0

    def write(self, s: str) -> int:
        self.lines += s.count("\n")
        return len(s)


def test_history_memory_does_not_grow_with_the_history(sqlite_or_pg_url: str) -> None:
    long_histories(sqlite_or_pg_url, {1: 2_000, 2: 12_000})
    ws = Workspace(Settings(sqlite_or_pg_url, (), Config()))
    try:
        with read.history_stream(ws, "appuser", "1") as ts:  # imports and caches are paid before measuring
            render(ts, OutputFormat.JSONL, _Lines())
        small, small_lines = _peak(ws, "1")
        large, large_lines = _peak(ws, "2")
    finally:
        ws.close()
    assert (small_lines, large_lines) == (2_000, 12_000)
    # read whole, six times the versions take about six times the memory; streamed, the same
    assert large < 2 * small, (small, large)


def test_quitting_the_pager_early_ends_chrono_cleanly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'long.db'}"
    long_histories(url, {1: 3_000})
    paged = tmp_path / "paged.txt"
    code, shown = run_tty(["--db", url, "history", "appuser", "1"], rows=20, PAGER=f"head -n 5 > {paged}")
    assert code == 0, shown
    assert "Traceback" not in shown and "Error" not in shown, shown
    assert len(paged.read_text().splitlines()) == 5 and "p1" in paged.read_text()


def test_a_long_timeline_on_a_terminal_is_paged_whole_as_a_log(tmp_path: Path) -> None:
    """Longer than a screen: laid out on its first screenful, one header line per version, every version."""
    url = f"sqlite:///{tmp_path / 'long.db'}"
    long_histories(url, {1: 300})
    paged = tmp_path / "paged.txt"
    code, shown = run_tty(["--db", url, "--no-color", "history", "appuser", "1"], rows=20, PAGER=f"cat > {paged}")
    assert code == 0, shown
    lines = paged.read_text().splitlines()
    heads = [line.split()[0] for line in lines if line[:1] == "p"]
    assert heads == [f"p{i}" for i in range(1, 301)]
    assert "name: name v1 → name v2" in paged.read_text() and "name v300" in paged.read_text()
