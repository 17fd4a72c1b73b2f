"""The conformance suite: every convention with a library story, on every backend its library runs on.

For each case of cases.py and backend: (1) chrono's timeline (``history -f json``, and ``show --version``
for every version on the case's first backend; the restore step addresses versions by number on every
backend) equals the library's own reading of every record of the story; (2) a restore reads back through the
library as the restored state, with the history the library would have written (the pre-restore state
kept); (3) the library's next ordinary save works and chrono reads it; (4) ``check-migrations --strict``
passes the pristine story database; (5) after the case's drift DDL it exits 3 with the expected finding.
Each story is built once per session and backend and cloned per test (conftest.py).
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from typer.testing import CliRunner

from tests.conformance.cases import BACKENDS, BULK, CASES, ConventionCase
from tests.conformance.conftest import StoryClone
from tests.conftest import invoke

# one xdist group per story and backend: under ``-n N --dist loadgroup`` each story is built by one worker only
PARAMS = [pytest.param(case, backend, id=f"{case.name}-{backend}",
                       marks=pytest.mark.xdist_group(f"conformance-{case.name}-{backend}"))
          for case in CASES for backend in case.backends]
_DATETIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def canon(value: Any) -> Any:
    """One comparable form for a library's value and chrono's JSON of it.

    Numbers (and numeric text: Decimals travel as strings) compare by value whatever the scale the backend
    renders; booleans as 0/1 (MariaDB has no boolean type); times as naive UTC (SQLite and MariaDB keep
    naive UTC where PostgreSQL keeps an offset).
    """
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value)).normalize()
    if isinstance(value, str) and _DATETIME.match(value):
        moment = datetime.fromisoformat(value)
        return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return Decimal(value).normalize()
    if isinstance(value, list):
        return [canon(v) for v in value]
    if isinstance(value, dict):
        return {k: canon(v) for k, v in value.items()}
    return value


def _json(runner: CliRunner, url: str, *args: str) -> Any:
    # the library's reading holds every stored value: compare with chrono's secrets shown (--show-secrets)
    result = invoke(runner, ["--db", url, "--show-secrets", "-f", "json", *args], catch_exceptions=False)
    assert result.exit_code == 0, (args, result.stderr)
    return json.loads(result.stdout)


def _same_values(case: ConventionCase, shown: dict[str, Any], library: dict[str, Any], label: Any) -> None:
    """chrono's values equal the library's on every column the library reads and chrono says it recorded."""
    unrecorded = set(shown.get("unrecorded") or [])
    assert unrecorded <= case.unrecorded, (label, unrecorded)
    values = shown["values"]
    for c in case.relation_columns - set(values):  # chrono shows membership only for records that ever had some
        assert library.get(c, []) == [], (label, c)
    columns = [c for c in library if c not in unrecorded and (c in values or c not in case.relation_columns)]
    assert set(columns) <= set(values), (label, sorted(values), columns)
    assert {c: canon(values[c]) for c in columns} == {c: canon(library[c]) for c in columns}, label


def assert_timeline(case: ConventionCase, versions: list[dict[str, Any]], entries: list[dict[str, Any]],
                    live: dict[str, Any] | None, label: Any, *, bypassed: bool = False) -> None:
    """chrono's versions are the library's entries, plus only what the case explains chrono adds.

    ``bypassed``: the story changed the live row behind the library's back (chrono must show it, as such).
    """
    for v, nxt in itertools.pairwise(versions):  # each version ends where the next begins; the newest never ends
        if nxt["operation"] != "unknown":
            assert v["valid_to"] == nxt["valid_from"], (label, v["seq"])
    assert versions[-1]["valid_to"] is None, label
    shown = list(versions)
    assert (shown[-1]["operation"] == "unknown") is bypassed, label
    if bypassed:
        extra = shown.pop()
        assert live is not None and "live row differs" in extra["note"] and extra["current"] is True, label
        _same_values(case, extra, {c: v for c, v in live.items() if c in extra["values"]}, label)
    if shown and shown[-1]["operation"] == "delete" and (not entries or entries[-1]["op"] != "delete"):
        assert live is None, label  # the library records no delete: its row is simply gone
        shown.pop()
    recorded = {e["version"] for e in entries}
    matched = []
    for v in shown:
        if v["version"] not in recorded and case.relation_columns:
            changed = {c["column"] for c in v["changes"]}
            assert v["operation"] == "update" and changed and changed <= case.relation_columns, (label, v)
            continue
        matched.append(v)
    assert [v["version"] for v in matched] == [e["version"] for e in entries], label
    for v, e in zip(matched, entries, strict=True):
        if e["op"] is not None:
            assert v["operation"] == e["op"], (label, v["version"])
        if e["values"] is None:
            assert v["values"] is None, (label, v["version"])
        else:
            _same_values(case, v, e["values"], (label, v["version"]))
        for field, shown_field in (("at", "valid_from"), ("actor", "actor"), ("reason", "reason")):
            if field in e:
                assert canon(v[shown_field]) == canon(e[field]), (label, v["version"], field)
        if case.no_times:
            assert v["valid_from"] is None and v["valid_to"] is None, (label, v["version"])
    current = versions[-1]
    assert current["current"] is (live is not None), label
    if live is not None:
        _same_values(case, current, {c: x for c, x in live.items() if c in current["values"]}, (label, "live"))


def _built(case: ConventionCase) -> Any:
    def build(url: str, workdir: Path) -> dict[str, Any]:
        if case.build is None:
            reading = case.read(url, workdir, build=True)
            return {"story": reading.pop("story"), "reading": reading}
        return {"story": case.build(url, workdir), "reading": case.read(url, workdir)}

    return build


@pytest.mark.parametrize(("case", "backend"), PARAMS)
def test_timeline_equals_the_library_reading(case: ConventionCase, backend: str, story_clone: StoryClone,
                                             runner: CliRunner) -> None:
    url, built = story_clone(backend, case.name, _built(case))
    reading = built["reading"]
    assert reading["timelines"]
    for table, keys in reading["timelines"].items():
        for key, entries in keys.items():
            doc = _json(runner, url, "history", table, key)
            assert doc["convention"] == case.convention
            assert_timeline(case, doc["versions"], entries, reading["live"][table][key], (table, key),
                            bypassed=(table, key) in case.bypassed)
            numbers = [v["version"] for v in doc["versions"]]
            if backend != case.backends[0]:  # show: every version on the case's first backend (speed)
                continue
            for v in (v for v in doc["versions"] if v["values"] is not None):
                unique = v["version"] is not None and numbers.count(v["version"]) == 1
                ref = str(v["version"]) if unique else f"#{v['seq']}"
                shown = _json(runner, url, "show", table, key, "--version", ref)["version"]
                assert shown["values"] == v["values"], (table, key, ref)
            if case.no_times:  # the case says why: chrono must refuse a time instead of guessing one
                refused = invoke(runner, ["--db", url, "show", table, key, "--at", "2h"])
                assert refused.exit_code == 2 and "stores no timestamps" in refused.stderr, refused.output


@pytest.mark.parametrize(("case", "backend"), PARAMS)
def test_restore_reads_back_through_the_library(case: ConventionCase, backend: str, story_clone: StoryClone,
                                                runner: CliRunner, tmp_path: Path) -> None:
    url, built = story_clone(backend, case.name, _built(case))
    table, key = case.restore.table, case.restore.key
    before = built["reading"]["timelines"][table][key]
    target = before[case.restore.index]
    result = invoke(runner, ["--db", url, "restore", table, key, "--version", str(target["version"]), "--yes"])
    assert result.exit_code == 0, result.output

    library = case.read(url, tmp_path, save=(table, key))
    mid = library["timelines"][table][key]
    assert mid[:len(before)] == before  # the history as it was, the pre-restore state kept
    assert len(mid) == len(before) + 1
    restored = mid[-1]
    assert restored["op"] in (None, case.restore.op)
    assert canon(restored["version"]) > canon(before[-1]["version"])
    # a restore writes the row's columns; many-to-many members stay as they are (chrono says so in its plan)
    wanted = {c: v for c, v in target["values"].items() if c not in case.relation_columns | case.stamped}
    assert {c: canon(restored["values"][c]) for c in wanted} == canon(wanted)
    live = library["live"][table][key]
    assert {c: canon(live[c]) for c in wanted if c in live} == {c: canon(v) for c, v in wanted.items() if c in live}

    # (3) the library's next ordinary save: one more version, on top of the restored state
    after = library["after"][table][key]
    assert after[:-1] == mid
    saved = after[-1]
    assert canon(saved["version"]) > canon(restored["version"])
    expected = {**restored["values"], **library["saved"]}
    assert ({c: canon(v) for c, v in saved["values"].items() if c not in case.stamped}
            == {c: canon(v) for c, v in expected.items() if c not in case.stamped})
    doc = _json(runner, url, "history", table, key)
    assert_timeline(case, doc["versions"], after, saved["values"], (table, key, "after the save"))


def _check(runner: CliRunner, url: str, case: ConventionCase, tmp_path: Path) -> tuple[int, dict[str, Any]]:
    head = ["--db", url]
    if case.config:
        config = tmp_path / "chrono.toml"
        config.write_text(case.config, encoding="utf-8")
        head += ["--config", str(config)]
    result = invoke(runner, [*head, "check-migrations", "-f", "json", "--strict"], catch_exceptions=False)
    assert result.exit_code in (0, 3), result.output
    return result.exit_code, json.loads(result.stdout)


def _short(name: str | None) -> str | None:
    return None if name is None else name.rsplit(".", 1)[-1]


@pytest.mark.parametrize(("case", "backend"), PARAMS)
def test_check_migrations_passes_the_story_and_catches_the_drift(case: ConventionCase, backend: str,
                                                                  story_clone: StoryClone, runner: CliRunner,
                                                                  tmp_path: Path) -> None:
    url, _ = story_clone(backend, case.name, _built(case))
    code, doc = _check(runner, url, case, tmp_path)  # (4) the pristine story, --strict
    assert (code, doc["findings"]) == (0, [])
    assert {(_short(c["table"]), _short(c["history"]), c["convention"]) for c in doc["checked"]} == case.checked
    assert not [n for n in doc["summary"]["notes"] if "not checked" in n]

    engine = create_engine(url)  # (5) an incomplete migration
    with engine.begin() as conn:
        for statement in case.drift.ddl:
            conn.exec_driver_sql(statement)
    engine.dispose()
    code, doc = _check(runner, url, case, tmp_path)
    assert code == 3
    found = {(f["kind"], f["severity"], _short(f["target"]), f["column"]) for f in doc["findings"]}
    assert found == {case.drift.finding}


def test_every_case_says_where_its_library_does_not_run() -> None:
    for case in CASES:
        assert set(case.backends) | set(case.not_on) == set(BACKENDS), case.name
        assert not set(case.backends) & set(case.not_on), case.name


BULK_PARAMS = [p for p in PARAMS if p.values[0].name in BULK]


@pytest.mark.parametrize(("case", "backend"), BULK_PARAMS)
def test_bulk_restore_to_a_time_reads_back_through_the_library(case: ConventionCase, backend: str,
                                                               story_clone: StoryClone, runner: CliRunner,
                                                               tmp_path: Path) -> None:
    """Every key of the case's table that changed since T and existed then has, after the restore, the state the
    library's own reading gives at T; the history before it is kept."""
    url, built = story_clone(backend, case.name, _built(case))
    table = BULK[case.name]
    timelines = built["reading"]["timelines"][table]
    # after the first state of every key that changes again (those changes are what the restore undoes)
    when = max(entries[0]["at"] for entries in timelines.values() if len(entries) > 1)
    head = ["--db", url]
    if case.config:
        config = tmp_path / "chrono.toml"
        config.write_text(case.config, encoding="utf-8")
        head += ["--config", str(config)]
    result = invoke(runner, [*head, "restore", table, "--at", when, "--all-changed-since", when, "--yes"])
    assert result.exit_code == 0, result.output
    library = case.read(url, tmp_path)
    restored = 0
    for key, entries in timelines.items():
        after = library["timelines"][table][key]
        assert after[:len(entries)] == entries, key  # the history as it was
        then = [e for e in entries if canon(e["at"]) <= canon(when)]
        state = then[-1]["values"] if then and then[-1]["op"] != "delete" else None
        if state is None or len(then) == len(entries):
            continue  # not there at T (left alone), or unchanged since
        wanted = {c: v for c, v in state.items() if c not in case.unrecorded | case.stamped}
        live = library["live"][table][key]
        assert live is not None, key
        assert {c: canon(live[c]) for c in wanted if c in live} == {c: canon(v) for c, v in wanted.items()
                                                                     if c in live}, key
        restored += 1
    assert restored, "the story changes some key after T"
