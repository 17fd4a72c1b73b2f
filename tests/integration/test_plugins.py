"""Plugins: the example package under examples/ installed for real, found through its entry point, and used.

The example plugin describes a home-grown revision log (there is no library to install for it), so the history
rows here are written with plain SQL exactly as its README describes the application writing them. chrono runs
in a subprocess with the plugin's install folder on PYTHONPATH: entry points come from installed metadata, as
they do for a user.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "chrono-plugin-revisions"


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plugin pip-installed into a folder of its own (no build isolation: nothing is downloaded)."""
    target = tmp_path_factory.mktemp("plugin")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "--target", str(target), str(EXAMPLE)],
                   check=True, capture_output=True, timeout=300)
    return target


@pytest.fixture
def broken_path(tmp_path: Path) -> Path:
    """An installed distribution whose chrono.conventions entry point names a module that does not exist."""
    dist = tmp_path / "broken" / "chrono_broken-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: chrono-broken\nVersion: 1.0\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text("[chrono.conventions]\nbroken = chrono_broken_missing:CONVENTION\n",
                                           encoding="utf-8")
    return dist.parent


def chrono(*args: str, path: list[Path]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, path)), "NO_COLOR": "1"}
    for name in ("CHRONO_DATABASE_URL", "DATABASE_URL", "CHRONO_FORMAT"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "chrono_cli", *args], capture_output=True, text=True, env=env,
                          timeout=120, cwd=ROOT)


@pytest.fixture
def revisions_db(tmp_path: Path) -> str:
    """An article with two updates, logged as the plugin's README says the application logs them."""
    path = tmp_path / "app.db"
    con = sqlite3.connect(path)
    con.executescript("""
        CREATE TABLE article (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT, revision INTEGER NOT NULL);
        CREATE TABLE article_revisions (id INTEGER NOT NULL, title TEXT NOT NULL, body TEXT,
            revision INTEGER NOT NULL, replaced_at TIMESTAMP NOT NULL, replaced_by TEXT,
            PRIMARY KEY (id, revision));
        INSERT INTO article VALUES (1, 'third', 'c', 3);
        INSERT INTO article_revisions VALUES (1, 'first', 'a', 1, '2026-01-05 09:00:00', 'ann');
        INSERT INTO article_revisions VALUES (1, 'second', 'b', 2, '2026-01-06 09:00:00', 'bob');
    """)
    con.commit()
    con.close()
    return f"sqlite:///{path}"


def test_the_example_plugin_is_listed(plugin_path: Path) -> None:
    done = chrono("conventions", "-f", "json", path=[plugin_path])
    assert done.returncode == 0, done.stderr
    found = {c["name"]: c for c in json.loads(done.stdout)["conventions"]}
    assert found["revisions"]["source"] == "chrono-revisions"
    assert found["revisions"]["version"] == "0.1.0"
    assert found["revisions"]["shape"] == "old-state"
    assert found["revisions"]["capabilities"] == ["history", "changes", "restore"]
    assert "history-meta" in found and found["history-meta"]["source"] == "chrono_cli"


def test_the_example_plugin_reads_and_writes(plugin_path: Path, revisions_db: str) -> None:
    tables = chrono("--db", revisions_db, "tables", "--explain", "-f", "json", path=[plugin_path])
    assert tables.returncode == 0, tables.stderr
    (doc,) = json.loads(tables.stdout)["tables"]
    assert doc["conventions"] == ["revisions"] and doc["history"] == ["article_revisions"]
    assert "article_revisions: primary key of article + revision" in doc["evidence"]["revisions"]

    history = chrono("--db", revisions_db, "history", "article", "1", "-f", "json", path=[plugin_path])
    assert history.returncode == 0, history.stderr
    versions = json.loads(history.stdout)["versions"]
    assert [v["values"]["title"] for v in versions] == ["first", "second", "third"]
    assert [v["actor"] for v in versions] == [None, "ann", "bob"]

    done = chrono("--db", revisions_db, "restore", "article", "1", "--version", "1", "--actor", "carol", "--yes",
                  path=[plugin_path])
    assert done.returncode == 0, done.stderr
    con = sqlite3.connect(revisions_db.removeprefix("sqlite:///"))
    assert con.execute("SELECT title, body, revision FROM article").fetchall() == [("first", "a", 4)]
    assert con.execute("SELECT title, revision, replaced_by FROM article_revisions ORDER BY revision").fetchall() \
        == [("first", 1, "ann"), ("second", 2, "bob"), ("third", 3, "carol")]
    con.close()
    again = chrono("--db", revisions_db, "history", "article", "1", "-f", "json", path=[plugin_path])
    assert [v["actor"] for v in json.loads(again.stdout)["versions"]] == [None, "ann", "bob", "carol"]


def test_a_broken_plugin_is_one_line_and_skipped(plugin_path: Path, broken_path: Path, revisions_db: str) -> None:
    done = chrono("--db", revisions_db, "history", "article", "1", "-f", "json", path=[broken_path, plugin_path])
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["versions"]) == 3
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning: plugin 'broken'")
    assert "could not be loaded: ModuleNotFoundError" in lines[0] and "Traceback" not in done.stderr

    listed = chrono("conventions", "-f", "json", path=[broken_path])
    assert listed.returncode == 0
    problems = json.loads(listed.stdout)["problems"]
    assert len(problems) == 1 and "chrono-broken" in problems[0]


def test_without_plugins_the_table_has_no_convention(revisions_db: str) -> None:
    done = chrono("--db", revisions_db, "history", "article", "1", path=[])
    assert done.returncode == 5
    assert done.stderr.startswith("error: no history convention detected for table 'article'")
