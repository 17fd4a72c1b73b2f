"""The pickaxe (``changes TABLE --column C --value V``) on histories the libraries wrote, on every backend they run on.

For a new-state store (Continuum, django-simple-history), an old-state one (history_meta) and diff stores
(PaperTrail's object_changes, django-auditlog's changes), each value the unfiltered listing shows is looked up
with the pickaxe: the answer must be exactly the listed row changes whose field change of that column has the
value on either side (a change to it, an insert with it, a change away from it), in JSON, in every other
format, and page by page through the printed cursor. The first three answer in SQL (conventions/pickaxe.py),
the diff stores by filtering their listing: the same rule either way.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conformance.cases import CASES
from tests.conformance.conftest import StoryClone
from tests.conformance.test_conformance import PARAMS as CONFORMANCE
from tests.conformance.test_conformance import _built
from tests.conftest import invoke

PICKAXE_CASES = ("history-meta", "continuum", "simple-history", "paper-trail", "auditlog")
PARAMS = [p for p in CONFORMANCE if p.values[0].name in PICKAXE_CASES]  # the suite's own ids and xdist groups
ALL = "100000"  # a page larger than any story: one page holds the whole answer


def _chrono(runner: CliRunner, url: str, *args: str) -> Any:
    result = invoke(runner, ["--db", url, *args])
    assert result.exit_code == 0, (args, result.output)
    return result


def _sets(runner: CliRunner, url: str, table: str, *args: str) -> list[dict[str, Any]]:
    doc = json.loads(_chrono(runner, url, "-f", "json", "changes", table, "-n", ALL, "--window", "0", *args).stdout)
    assert doc["next_before"] is None
    sets: list[dict[str, Any]] = doc["changesets"]
    return sets


def _rows(sets: list[dict[str, Any]]) -> Counter[str]:
    """Each row change once, as comparable text (a multiset: two changes may look alike)."""
    return Counter(
        json.dumps({k: c[k] for k in ("table", "key", "operation", "at", "changes")}, sort_keys=True)
        for s in sets
        for c in s["changes"]
    )


def _values(sets: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    """(column, value as typed) of every text or integer value the listing shows, by how often it appears."""
    seen: Counter[tuple[str, str]] = Counter()
    for s in sets:
        for c in s["changes"]:
            for fc in c["changes"]:
                for v in (fc["old"], fc["new"]):
                    if (
                        isinstance(v, str | int)
                        and not isinstance(v, bool)
                        and str(v).strip() == str(v)
                        and str(v)
                        and not str(v).startswith("-")
                    ):
                        seen[(fc["column"], str(v))] += 1
    return seen


def _touches(change: dict[str, Any], column: str, value: str) -> bool:
    return any(
        fc["column"] == column
        and any(v is not None and not isinstance(v, bool) and str(v) == value for v in (fc["old"], fc["new"]))
        for fc in change["changes"]
    )


def _tables(runner: CliRunner, url: str, case_name: str) -> list[str]:
    doc = json.loads(_chrono(runner, url, "-f", "json", "tables").stdout)
    convention = next(c.convention for c in CASES if c.name == case_name)
    return [t["table"] for t in doc["tables"] if convention in t["conventions"]]


@pytest.mark.parametrize(("case", "backend"), PARAMS)
def test_pickaxe_lists_exactly_the_changes_that_set_or_cleared_the_value(
    case: Any, backend: str, story_clone: StoryClone, runner: CliRunner
) -> None:
    url, _ = story_clone(backend, case.name, _built(case))
    looked = 0
    for table in _tables(runner, url, case.name):
        every = _sets(runner, url, table)
        # the most frequent values (several changes each) and a rare one, per table
        common = [pair for pair, _ in _values(every).most_common()]
        for column, value in common[:3] + common[-1:]:
            expected = [dict(s, changes=[c for c in s["changes"] if _touches(c, column, value)]) for s in every]
            expected = [s for s in expected if s["changes"]]
            found = _sets(runner, url, table, "--column", column, "--value", value)
            assert _rows(found) == _rows(expected), (table, column, value)
            assert found, (table, column, value)
            looked += 1
    assert looked


@pytest.mark.parametrize(("case", "backend"), PARAMS)
def test_pickaxe_pages_and_formats(case: Any, backend: str, story_clone: StoryClone, runner: CliRunner) -> None:
    url, _ = story_clone(backend, case.name, _built(case))
    table = _tables(runner, url, case.name)[0]
    (column, value), _ = _values(_sets(runner, url, table)).most_common(1)[0]
    whole = _sets(runner, url, table, "--column", column, "--value", value)
    pages: list[dict[str, Any]] = []
    before: list[str] = []
    for _ in range(len(whole) + 2):  # one set per page, through the printed cursor
        doc = json.loads(
            _chrono(
                runner,
                url,
                "-f",
                "json",
                "changes",
                table,
                "-n",
                "1",
                "--window",
                "0",
                "--column",
                column,
                "--value",
                value,
                *before,
            ).stdout
        )
        pages += doc["changesets"]
        if doc["next_before"] is None:
            break
        before = ["--before", doc["next_before"]]
    assert _rows(pages) == _rows(whole)
    keys = Counter(json.dumps(c["key"], sort_keys=True) for s in whole for c in s["changes"])
    shown = _chrono(
        runner, url, "-f", "csv", "changes", table, "-n", ALL, "--window", "0", "--column", column, "--value", value
    ).stdout
    rows = list(csv.DictReader(io.StringIO(shown)))
    assert rows and {r["id"] for r in rows} == {s["id"] for s in whole}
    jsonl = _chrono(
        runner, url, "-f", "jsonl", "changes", table, "-n", ALL, "--window", "0", "--column", column, "--value", value
    ).stdout.splitlines()
    assert len(jsonl) == len(whole)
    for fmt in ("table", "plain", "markdown"):
        text = _chrono(
            runner, url, "-f", fmt, "changes", table, "-n", ALL, "--window", "0", "--column", column, "--value", value
        ).stdout
        assert value in text and all(s["id"] in text for s in whole), fmt
    assert sum(keys.values()) == sum(len(s["changes"]) for s in whole)


@pytest.mark.parametrize(("case", "backend"), PARAMS[:3])
def test_pickaxe_refuses_a_value_the_column_cannot_hold(
    case: Any, backend: str, story_clone: StoryClone, runner: CliRunner
) -> None:
    url, _ = story_clone(backend, case.name, _built(case))
    table = _tables(runner, url, case.name)[0]
    for args, said in (
        (["--column", "id", "--value", "not-a-number"], "--value 'not-a-number' is not a valid int"),
        (["--column", "no_such_column", "--value", "x"], "has no column 'no_such_column'"),
        (["--column", "id"], "--column and --value go together"),
    ):
        result = invoke(runner, ["--db", url, "changes", table, *args])
        assert result.exit_code == 2, result.output
        assert result.stdout == "" and said in result.stderr and "Traceback" not in result.output
