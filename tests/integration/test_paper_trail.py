"""Rails PaperTrail beyond the conformance suite, against Debian's Ruby, ActiveSupport and PaperTrail 12.0.0:
chrono's Psych YAML is what ``YAML.dump`` writes, its table names are ActiveSupport's, an undelete reads back
through ``reify``, a restore's ``object`` round-trips through Ruby unchanged, and ``model`` maps a class the
naming rules miss."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from chrono_cli.conventions.builtin.paper_trail import psych
from chrono_cli.conventions.builtin.paper_trail.naming import tableize
from tests.conftest import invoke
from tests.support import paper_trail

RUBY_DUMP = """
require "json"; require "yaml"; require "bigdecimal"; require "active_support/all"; require "active_record"
decimal = ActiveRecord::Type::Decimal.new(precision: 12, scale: 3)
def typed(v, decimal)
  return v unless v.is_a?(Hash)
  return decimal.deserialize(v["$d"]) if v.key?("$d")
  return Time.iso8601(v["$t"]).in_time_zone("UTC") if v.key?("$t")
  Date.iso8601(v["$date"])
end
input = JSON.parse($stdin.read)
print YAML.dump(input["values"].transform_values { |v| typed(v, decimal) })
print "\\0"
print JSON.generate(input["classes"].map { |c| c.tableize.split("/").last })
"""

STRINGS = ["Ann", "", " lead", "trail ", "42", "4.5", "true", "yes", "no", "y", "n", "null", "~", "-x", "- x",
           "a: b", "a #b", "#x", "@x", "'q'", '"dq"', "line1\nline2", "end\n", "tab\there", "0089", "1e3",
           "2024-01-01", "2024-01-01 10:00:00", ":sym", "12:30", "? a", "[1]", "{a}", "!bang", "%p", "&a", "*a",
           "|p", ">f", "naïve café 🚀 rocket", "日本語", "<<", "on", "OFF", "a, b", "€5", "_x", "1_000", "0x1F",
           "+1", ".5", "The quick brown fox jumps over the lazy dog and keeps running far beyond the eighty column"
           " limit of the emitter"]
DECIMALS = ["12.30", "-4.75", "0.00", "7", "123456.789", "99999999.999", "0.05", "1234567890"]
CLASSES = ["AppUser", "Person", "SalesPerson", "StockItem", "Category", "Address", "Status", "Octopus", "Box",
           "Mouse", "Half", "Wife", "Matrix", "Equipment", "Admin::User", "APIKey", "Child", "Quiz", "Bus",
           "Hero", "Tomato", "Datum", "Analysis", "Hive", "Ox", "Sheep", "Index", "Vertex", "Axis"]


def _ruby(script: list[str], stdin: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(["ruby", *script], input=stdin, capture_output=True, text=True, timeout=120,
                          check=False, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_yaml_and_table_names_are_what_ruby_writes() -> None:
    values: dict[str, Any] = {f"s{i}": s for i, s in enumerate(STRINGS)}
    ruby_values: dict[str, Any] = dict(values)
    for i, d in enumerate(DECIMALS):
        values[f"d{i}"] = Decimal(d).quantize(Decimal("0.001"))
        ruby_values[f"d{i}"] = {"$d": d}
    moment = datetime(2024, 3, 1, 4, 30, 0, 123456, tzinfo=UTC)
    values.update(t1=moment, t2=moment.replace(microsecond=0), day=date(1990, 5, 6), nothing=None, flag=True,
                  count=-3)
    ruby_values.update(t1={"$t": moment.isoformat()}, t2={"$t": moment.replace(microsecond=0).isoformat()},
                       day={"$date": "1990-05-06"}, nothing=None, flag=True, count=-3)
    out = _ruby(["-e", RUBY_DUMP], json.dumps({"values": ruby_values, "classes": CLASSES}))
    dumped, names = out.split("\0")
    assert psych.dump(values) == dumped
    assert psych.load(dumped) == {k: v.normalize() if isinstance(v, Decimal) else v for k, v in values.items()}
    assert [tableize(c) for c in CLASSES] == json.loads(names)


@pytest.fixture
def sqlite_story(story_clone: Any) -> str:
    url, _ = story_clone("sqlite", "conformance_paper_trail",
                         lambda url: {"story": paper_trail.story(url), "reading": paper_trail.reading(url)})
    return str(url)


def _json(runner: CliRunner, *args: str) -> Any:
    result = invoke(runner, ["-f", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_undelete_reads_back_through_reify(sqlite_story: str) -> None:
    runner = CliRunner()
    before = paper_trail.reading(sqlite_story)["timelines"]["posts"]["2"]
    assert [e["op"] for e in before] == ["insert", "delete"]
    result = invoke(runner, ["--db", sqlite_story, "restore", "posts", "2", "--version", str(before[0]["version"]),
                             "--yes", "--actor", "ops"])
    assert result.exit_code == 0, result.output
    after = paper_trail.reading(sqlite_story, save=("posts", "2"))
    mid = after["timelines"]["posts"]["2"]
    assert mid[:2] == before and (mid[2]["op"], mid[2]["actor"]) == ("insert", "ops")
    kept = {c: v for c, v in before[0]["values"].items() if c != "updated_at"}
    assert {c: mid[2]["values"][c] for c in kept} == kept
    assert after["after"]["posts"]["2"][-1]["values"]["title"] == "Bye (saved)"  # the next save works
    engine = create_engine(sqlite_story)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT object, object_changes FROM versions WHERE item_type = 'Post' "
                                   "AND item_id = 2 ORDER BY id")).all()
    engine.dispose()
    created = stored[2]
    assert created.object is None
    # chrono's document is what Psych writes for what it reads back (Ruby's own round trip changes nothing)
    assert _ruby(["-ryaml", "-rbigdecimal", "-ractive_support/all", "-e",
                  "print YAML.dump(YAML.unsafe_load($stdin.read))"], created.object_changes) == created.object_changes


def test_a_class_the_naming_misses_is_declared_with_model(sqlite_story: str, tmp_path: Path) -> None:
    engine = create_engine(sqlite_story)
    with engine.begin() as conn:
        conn.execute(text("UPDATE versions SET item_type = 'Author' WHERE item_type = 'AppUser'"))
    engine.dispose()
    runner = CliRunner()
    config = tmp_path / "chrono.toml"
    config.write_text("", encoding="utf-8")
    refused = invoke(runner, ["--db", sqlite_story, "--config", str(config), "history", "app_users", "1"])
    assert refused.exit_code == 5, refused.output  # no class maps to app_users any more
    config.write_text('[tables.app_users]\nhistory = "versions"\nmodel = "Author"\n', encoding="utf-8")
    doc = _json(runner, "--db", sqlite_story, "--config", str(config), "history", "app_users", "1")
    assert doc["convention"] == "paper-trail"
    assert [v["actor"] for v in doc["versions"]][:3] == ["alice", "bob", "carol"]


def test_reverting_a_create_writes_a_destroy_version(sqlite_story: str) -> None:
    runner = CliRunner()
    newest = invoke(runner, ["--db", sqlite_story, "-f", "jsonl", "changes", "stock_items"])
    assert newest.exit_code == 0, newest.output
    change_set = json.loads(newest.stdout.splitlines()[0])["changeset"]
    result = invoke(runner, ["--db", sqlite_story, "revert", change_set, "--yes", "--actor", "ops"])
    assert result.exit_code == 0, result.output
    timeline = paper_trail.reading(sqlite_story)["timelines"]["stock_items"]["1"]
    assert [(e["op"], e["actor"]) for e in timeline] == [("insert", "gina"), ("update", "gina"), ("delete", "ops")]
    assert paper_trail.reading(sqlite_story)["live"]["stock_items"]["1"] is None


def test_bulk_restore_writes_one_version_per_row(sqlite_story: str) -> None:
    runner = CliRunner()
    before = paper_trail.reading(sqlite_story)["timelines"]
    target = before["app_users"]["1"][2]  # the state version 3 produced, until version 6
    result = invoke(runner, ["--db", sqlite_story, "restore", "app_users", "--at", target["at"],
                             "--all-changed-since", target["at"], "--yes", "--actor", "bulk"])
    assert result.exit_code == 0, result.output
    after = paper_trail.reading(sqlite_story)["timelines"]["app_users"]
    assert after["1"][:-1] == before["app_users"]["1"]
    restored = after["1"][-1]
    assert (restored["op"], restored["actor"]) == ("update", "bulk")
    assert ({c: v for c, v in restored["values"].items() if c != "updated_at"}
            == {c: v for c, v in target["values"].items() if c != "updated_at"})
    assert after["2"] == before["app_users"]["2"]  # did not exist at that time: left alone


LOCAL = "Asia/Kolkata"  # +05:30 all year (no daylight saving), and not a whole hour: no offset hides it


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_application_keeping_local_time(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """An app with ``default_timezone = :local`` stores naive wall-clock times of its zone in ``created_at`` and
    the record's columns. Declared (``[tables.X] timezone``), chrono reads the times PaperTrail reads and a restore
    stamps the wall clock PaperTrail would; undeclared, every version says its times are off, never silently."""
    url = str(request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url"))
    paper_trail.story(url, local_zone=LOCAL)
    library = paper_trail.reading(url, local_zone=LOCAL)["timelines"]
    runner = CliRunner()
    config = tmp_path / "chrono.toml"
    config.write_text("".join(f'[tables.{t}]\ntimezone = "{LOCAL}"\n' for t in library), encoding="utf-8")
    def at(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    for table, records in library.items():
        for key, expected in records.items():
            declared = _json(runner, "--db", url, "--config", str(config), "history", table, key)["versions"]
            assert [at(v["valid_from"]) for v in declared if v["operation"] != "unknown"] \
                == [at(e["at"]) for e in expected], (table, key)
            assert not any("off the updated_at" in (v.get("note") or "") for v in declared)
    undeclared = _json(runner, "--db", url, "history", "app_users", "1")["versions"]
    assert all("created_at is +05:30 off the updated_at" in (v.get("note") or "") for v in undeclared
               if v["operation"] != "unknown")
    before = datetime.now(UTC)
    result = invoke(runner, ["--db", url, "--config", str(config), "restore", "app_users", "1", "--version",
                             str(library["app_users"]["1"][0]["version"]), "--yes", "--actor", "ops"])
    assert result.exit_code == 0, result.output
    after = datetime.now(UTC)
    restored = paper_trail.reading(url, local_zone=LOCAL)["timelines"]["app_users"]["1"][-1]
    assert restored["actor"] == "ops" and before <= at(restored["at"]) <= after  # stamped in the app's wall clock
    assert before <= at(restored["values"]["updated_at"]) <= after
    shown = _json(runner, "--db", url, "--config", str(config), "history", "app_users", "1")["versions"][-1]
    assert at(shown["valid_from"]) == at(restored["at"])
