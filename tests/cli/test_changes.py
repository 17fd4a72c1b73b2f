"""`chrono changes`: change sets across tables, paging, show, and agreement with `chrono history`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from chrono_cli.errors import ExitCode
from tests.conftest import invoke
from tests.integration.test_library_fixtures import load_fixture

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.sqlite"


@pytest.fixture
def demo(tmp_path: Path) -> str:
    path = tmp_path / "demo.sqlite"
    shutil.copy(DEMO, path)
    return str(path)


def _json(runner: CliRunner, args: list[str]) -> dict[str, Any]:
    result = invoke(runner, args, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_changes_agree_with_history(runner: CliRunner, demo: str) -> None:
    window = ["--since", "2026-11-16T00:00Z", "--until", "2026-11-16T23:59Z"]
    doc = _json(runner, ["--db", demo, "-f", "json", "changes", "users", *window, "-n", "100"])
    mine = [c for s in doc["changesets"] for c in s["changes"] if c["key"] == {"id": 42}]
    hist = _json(runner, ["--db", demo, "-f", "json", "history", "user", "42", *window])["versions"]
    assert sorted((c["at"], json.dumps(c["changes"])) for c in mine) == sorted(
        (v["valid_from"], json.dumps(v["changes"])) for v in hist)
    assert all(not s["exact"] for s in doc["changesets"])
    ats = [s["at"] for s in doc["changesets"]]
    assert ats == sorted(ats, reverse=True)


def test_paging_covers_everything_once(runner: CliRunner, demo: str) -> None:
    full = _json(runner, ["--db", demo, "-f", "json", "changes", "-n", "1000"])["changesets"]
    seen: list[str] = []
    before: list[str] = []
    for _ in range(100):
        page = _json(runner, ["--db", demo, "-f", "json", "changes", "-n", "7", *before])
        seen += [s["id"] for s in page["changesets"]]
        if not page["next_before"]:
            break
        before = ["--before", page["next_before"]]
    assert seen == [s["id"] for s in full]
    assert len(seen) > 7


def test_show_one_change_set(runner: CliRunner, demo: str) -> None:
    first = _json(runner, ["--db", demo, "-f", "json", "changes", "-n", "1"])["changesets"][0]
    shown = _json(runner, ["--db", demo, "-f", "json", "changes", "show", first["id"]])
    assert shown == first
    text = invoke(runner, ["--db", demo, "changes", "show", first["id"]])
    assert text.exit_code == 0 and "inferred" in text.stdout
    # options may come before `show`, as they could when show was a plain argument
    assert _json(runner, ["--db", demo, "changes", "-f", "json", "--window", "5", "show", first["id"]]) == first
    refused = invoke(runner, ["--db", demo, "changes", "--since", "2h", "show", first["id"]])
    assert refused.exit_code == 2 and refused.stderr.splitlines() == [
        "error: no such option: --since", "hint: run 'chrono changes show --help'"]


def test_potion_and_versioned_rows_notes(runner: CliRunner, demo: str) -> None:
    result = invoke(runner, ["--db", demo, "-f", "json", "changes", "articles", "-n", "50"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    ops = {c["operation"] for s in doc["changesets"] for c in s["changes"]}
    assert ops == {"update"} and doc["changesets"]
    result = invoke(runner, ["--db", demo, "changes", "-n", "1"])
    assert "orders: versioned-rows stores no times" in result.stderr


def test_chrononaut_actors_and_inferred_grouping(runner: CliRunner, pg_url: str) -> None:
    expected = load_fixture(pg_url, "chrononaut_04")
    doc = _json(runner, ["--db", pg_url, "-f", "json", "changes", "-n", "100", "--window", "0"])
    changes = [c for s in doc["changesets"] for c in s["changes"]]
    writes = [s for s in expected["steps"] if s["action"] in ("insert", "update", "delete")
              and s["version_after"] != _previous_version(expected["steps"], s)]
    assert len(changes) == len(writes)
    admin = _json(runner, ["--db", pg_url, "-f", "json", "changes", "--actor", "admin@example.com", "-n", "100"])
    assert admin["changesets"] and all(s["actor"] == "admin@example.com" for s in admin["changesets"])
    grouped = _json(runner, ["--db", pg_url, "-f", "json", "changes", "-n", "100", "--window", "3600"])
    assert len(grouped["changesets"]) < len(doc["changesets"])  # one actor's burst becomes one inferred set
    # the listing reads each record's timeline (the json-snapshot listing): its operations, times and notes
    # (Chrononaut's "hidden columns changed") are the timeline's
    timeline = {(k, v["valid_from"], v["operation"], v.get("note"))
                for k in {c["key"]["id"] for c in changes}
                for v in _json(runner, ["--db", pg_url, "-f", "json", "history", "appuser", str(k)])["versions"]}
    listed = {(c["key"]["id"], c["at"], c["operation"], c.get("note")) for c in changes}
    assert listed == timeline and any(note for *_, note in listed)


def _previous_version(steps: list[dict[str, Any]], step: dict[str, Any]) -> object:
    earlier = [s for s in steps if s["key"] == step["key"] and s["n"] < step["n"]]
    return earlier[-1]["version_after"] if earlier and step["action"] != "insert" else object()


@pytest.mark.parametrize(("args", "code", "message"), [
    (["changes", "--window", "-1"], ExitCode.USAGE, "--window"),
    (["changes", "--since", "last tuesday"], ExitCode.USAGE, "cannot read time"),
    (["changes", "show", "4711"], ExitCode.NOT_FOUND, "no change set 4711"),
    (["changes", "show", "@1"], ExitCode.NOT_FOUND, "no change set @1"),
    (["changes", "nope"], ExitCode.NOT_FOUND, "no table named 'nope'"),
])
def test_bad_input(runner: CliRunner, demo: str, args: list[str], code: int, message: str) -> None:
    result = invoke(runner, ["--db", demo, *args])
    assert result.exit_code == code, result.output
    assert message in result.stderr and result.stdout == ""


def test_an_unindexed_time_column_is_pointed_out(runner: CliRunner, demo: str) -> None:
    import sqlite3

    result = invoke(runner, ["--db", demo, "changes", "users", "-n", "1"])
    assert "users_history has no index on changed" in result.stderr
    with sqlite3.connect(demo) as conn:
        conn.execute("CREATE INDEX ix_users_history_changed ON users_history (changed)")
    result = invoke(runner, ["--db", demo, "changes", "users", "-n", "1", "-v"])
    assert result.exit_code == 0 and "no index on changed" not in result.stderr


ADVICE = "note: users_history has no index on changed"


def test_index_advice_is_given_once_per_database(runner: CliRunner, demo: str, tmp_path: Path,
                                                 _own_state_dir: Path) -> None:
    first = invoke(runner, ["--db", demo, "changes", "users", "-n", "1"])
    assert first.exit_code == 0 and ADVICE in first.stderr
    again = invoke(runner, ["--db", demo, "changes", "users", "-n", "1"])
    assert again.exit_code == 0 and "no index" not in again.stderr
    assert again.stdout == first.stdout and "note: more: chrono changes --before" in again.stderr  # other notes stay
    verbose = invoke(runner, ["--db", demo, "changes", "users", "-n", "1", "-v"])
    assert ADVICE in verbose.stderr
    other = tmp_path / "other.sqlite"  # another database gets its own advice
    shutil.copy(demo, other)
    assert ADVICE in invoke(runner, ["--db", str(other), "changes", "users", "-n", "1"]).stderr
    remembered = json.loads((_own_state_dir / "chrono" / "advice.json").read_text())
    assert sorted(remembered) == sorted([f"sqlite:///{demo}", f"sqlite:///{other}"])


@pytest.mark.parametrize("damage", ["corrupt", "not a directory", "a directory"])
def test_advice_survives_a_state_file_it_cannot_use(runner: CliRunner, demo: str, _own_state_dir: Path,
                                                    monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    chrono_dir = _own_state_dir / "chrono"
    if damage == "corrupt":
        chrono_dir.mkdir()
        (chrono_dir / "advice.json").write_bytes(b'{"sqlite:///x": [1, \xff')
    elif damage == "not a directory":
        blocker = _own_state_dir / "file"
        blocker.write_text("")
        monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    else:
        (chrono_dir / "advice.json").mkdir(parents=True)
    runs = [invoke(runner, ["--db", demo, "changes", "users", "-n", "1"]) for _ in range(2)]
    for result in runs:
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output and "warning" not in result.stderr
    assert ADVICE in runs[0].stderr
    if damage == "corrupt":  # replaced by a good file: the advice is given once, then remembered
        assert ADVICE not in runs[1].stderr
        remembered = json.loads((chrono_dir / "advice.json").read_text())
        assert list(remembered) == [f"sqlite:///{demo}"] and remembered[f"sqlite:///{demo}"][0].startswith(ADVICE[6:])
    else:  # nothing can be stored: the advice is given every time, quietly
        assert ADVICE in runs[1].stderr


def test_chrononaut_activity_reads_the_same_on_sqlite(runner: CliRunner, pg_url: str, tmp_path: Any) -> None:
    """The rows Chrononaut 0.4 wrote (PostgreSQL fixture), copied into SQLite as its JSON-as-text columns: the same
    change sets come out, though SQLite has no jsonb to compare keys by value (chrono matches the stored text)."""
    from sqlalchemy import MetaData, create_engine, insert, select

    load_fixture(pg_url, "chrononaut_04")
    lite = f"sqlite:///{tmp_path / 'activity.db'}"
    source, target = create_engine(pg_url), create_engine(lite)
    md = MetaData()
    md.reflect(source)
    for table in md.tables.values():
        table.schema = None
        for column in table.columns:
            column.type = column.type.as_generic()
            column.server_default = None
    md.create_all(target)
    with source.connect() as src, target.begin() as dst:
        for table in md.sorted_tables:
            found = [dict(r) for r in src.execute(select(table)).mappings()]
            if found:
                dst.execute(insert(table), found)
    source.dispose()
    target.dispose()
    args = ["-f", "json", "changes", "-n", "100", "--window", "0"]
    on_pg, on_sqlite = _json(runner, ["--db", pg_url, *args]), _json(runner, ["--db", lite, *args])
    def shape(doc: dict[str, Any]) -> list[Any]:
        # the decoded values differ with the copied column types (no native enum / timestamptz on SQLite);
        # what the events path decides does not: the sets, their rows, operations and changed columns
        return [(s["id"], s["at"], s["actor"], s["reason"], s["exact"],
                 [(c["table"].rsplit(".", 1)[-1], c["key"], c["operation"], sorted(x["column"] for x in c["changes"]))
                  for c in s["changes"]]) for s in doc["changesets"]]

    assert shape(on_sqlite) == shape(on_pg) and on_pg["changesets"]


def test_sets_ending_in_one_millisecond_are_told_apart_by_microseconds(runner: CliRunner, demo: str) -> None:
    # two runs that end in the same millisecond (here 0.5 ms apart, --window 0): their ids carry the microseconds,
    # each names its own set, and the millisecond-only id (as an older chrono printed it) is refused, not guessed
    import sqlite3

    with sqlite3.connect(demo) as conn:
        conn.execute("UPDATE users_history SET changed = '2026-11-20 10:00:00.000100' WHERE id = 1 AND version = 3")
        conn.execute("UPDATE users_history SET changed = '2026-11-20 10:00:00.000600' WHERE id = 2 AND version = 1")
    sets = _json(runner, ["--db", demo, "-f", "json", "changes", "--window", "0", "-n", "2"])["changesets"]
    ms = sets[0]["id"].split(".")[0]
    assert [s["id"] for s in sets] == [f"{ms}.600w0", f"{ms}.100w0"], sets
    for listed in sets:
        shown = _json(runner, ["--db", demo, "-f", "json", "changes", "show", listed["id"]])
        assert shown == listed
    for args in (["changes", "show", f"{ms}w0"], ["revert", f"{ms}w0", "--yes"]):
        result = invoke(runner, ["--db", demo, *args])
        assert result.exit_code == ExitCode.REFUSED, result.output
        assert "names 2 change sets that end in the same millisecond" in result.stderr
        assert f"hint: name one of them: {ms}.100w0, {ms}.600w0" in result.stderr


def test_an_id_naming_two_sets_is_refused_not_guessed(runner: CliRunner, demo: str, tmp_path: Path) -> None:
    # two actors' runs that end in the same microsecond cannot be told apart by time: showing or reverting the id
    # they share must not pick one of them silently (the demo's config makes users.updated_by the actor)
    import sqlite3

    with sqlite3.connect(demo) as conn:
        conn.execute("UPDATE users_history SET changed = '2026-11-20 10:00:00.000100' WHERE id = 1 AND version = 3")
        conn.execute("UPDATE users_history SET changed = '2026-11-20 10:00:00.000100' WHERE id = 42 AND version = 9")
    config = tmp_path / "chrono.toml"
    config.write_text('[tables.users]\nactor_column = "updated_by"\n')
    base = ["--db", demo, "--config", str(config)]
    sets = _json(runner, [*base, "-f", "json", "changes", "--window", "0", "-n", "2"])["changesets"]
    assert len(sets) == 2 and sets[0]["actor"] != sets[1]["actor"], sets
    assert sets[0]["id"] == sets[1]["id"] and sets[0]["id"].endswith(".100w0"), sets
    for args in (["changes", "show", sets[0]["id"]], ["revert", sets[0]["id"], "--yes"]):
        result = invoke(runner, [*base, *args])
        assert result.exit_code == ExitCode.REFUSED, result.output
        assert "names 2 change sets that end in the same microsecond" in result.stderr
