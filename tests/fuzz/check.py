"""The differential check: chrono's reading of every record against the library's, then a restore read back.

A library adapter (in-process or a worker process) gives, per key, its own reading as a list of entries, oldest
first: ``{"values": {column: value} | None (a deletion), "op": "insert"|"update"|"delete"|None (not said),
"number": the library's version number or None, "current": bool, "reason" and "actor": ... (only when the library
records them), "unrecorded": [columns the library does not keep for that state]}``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from hypothesis import event
from typer.testing import CliRunner

from tests.conftest import invoke
from tests.fuzz.wire import KINDS, canon, decode


class Library(Protocol):
    """What the differential check needs from a library driver."""

    table: str
    columns: tuple[str, ...]  # the columns compared (those the library writes)

    def reset(self) -> None: ...
    def apply(self, step: list[Any]) -> None: ...
    def reading(self, key: int) -> list[dict[str, Any]]: ...
    def ordinary_write(self, key: int) -> None: ...


def chrono_json(runner: CliRunner, url: str, *args: str) -> Any:
    """Run chrono with ``-f json``; the parsed stdout (exit 0 required), or None for exit 4 (no such row)."""
    result = invoke(runner, ["--db", url, "-f", "json", *args])
    if result.exit_code == 4 and "no row" in result.stderr:
        return None
    assert result.exit_code == 0, f"chrono {' '.join(args)} -> {result.exit_code}: {result.stderr or result.output}"
    return json.loads(result.stdout)


def compare(lib: Library, key: int, reading: list[dict[str, Any]], shown: Any) -> None:
    """Every state chrono shows for ``key`` equals the library's own reading of it."""
    versions = [] if shown is None else shown["versions"]
    where = f"{lib.table} {key}"
    assert len(versions) == len(reading), (
        f"{where}: chrono shows {len(versions)} versions, the library reads {len(reading)}\n"
        f"chrono: {_brief(versions)}\nlibrary: {_brief(reading)}")
    for i, (mine, theirs) in enumerate(zip(versions, reading, strict=True), 1):
        at = f"{where} #{i}"
        if theirs["values"] is None:
            assert mine["operation"] == "delete" and mine["values"] is None, f"{at}: not a deletion: {mine}"
            continue
        assert mine["values"] is not None, f"{at}: chrono shows a deletion, the library {theirs}"
        for field, name in (("op", "operation"), ("number", "version"), ("current", "current"), ("reason", "reason"),
                            ("actor", "actor")):
            said = theirs.get(field) is not None if field in ("op", "number") else field in theirs
            if said:
                assert mine[name] == theirs[field], f"{at}: {name} {mine[name]!r} != library {theirs[field]!r}"
        for column in lib.columns:
            if column in theirs.get("unrecorded", ()):
                assert column in mine["unrecorded"], (
                    f"{at}: the library does not record {column}, chrono shows {mine['values'].get(column)!r}")
                continue
            if column not in theirs["values"]:
                continue
            kind = KINDS.get(column, "int")
            got = canon(kind, mine["values"].get(column), printed=True)
            want = canon(kind, decode(theirs["values"][column]), printed=False)
            if kind == "datetime" and got and want and got[0] == "naive" and want[0] == "aware":
                # a column without a time zone: chrono prints the stored UTC wall clock (README, Configuration)
                want = ("naive", datetime.fromtimestamp(want[1], UTC).replace(tzinfo=None))
            assert column in mine["values"] and got == want, (
                f"{at} {column}: chrono shows {mine['values'].get(column)!r}, the library reads "
                f"{theirs['values'][column]!r}")
        prev = reading[i - 2]["values"] if i > 1 else None
        if prev is not None:  # the changes chrono lists are the columns whose value the library reads differently
            skip = set(reading[i - 2].get("unrecorded", ())) | set(theirs.get("unrecorded", ()))
            cols = {c for c in lib.columns if c not in skip and c in prev and c in theirs["values"]}
            differ = {c for c in cols if not same_state(lib, {c: prev[c]}, {c: theirs["values"][c]})}
            listed = {change["column"] for change in mine["changes"]} & cols
            assert listed == differ, f"{at}: chrono lists changes of {sorted(listed)}, the library's {sorted(differ)}"


def compare_all(runner: CliRunner, url: str, lib: Library, keys: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Compare every key; return the library's readings."""
    readings = {}
    for key in keys:
        reading = lib.reading(key)
        shown = chrono_json(runner, url, "history", lib.table, str(key))
        compare(lib, key, reading, shown)
        readings[key] = reading
    return readings


def same_state(lib: Library, a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    """Two library states equal on the compared columns."""
    if a is None or b is None:
        return a is b
    return all(canon(KINDS.get(c, "int"), decode(a.get(c)), printed=False)
               == canon(KINDS.get(c, "int"), decode(b.get(c)), printed=False) for c in lib.columns if c in a and c in b)


def restore_and_write(runner: CliRunner, url: str, lib: Library, readings: dict[int, list[dict[str, Any]]],
                      rng: random.Random) -> None:
    """Restore a random record to a random earlier state with chrono; the library must read the pre-restore
    state kept and the target as the new state, and its next ordinary write must work."""
    choices = [(k, i) for k, r in readings.items() for i, e in enumerate(r[:-1]) if e["values"] is not None]
    if not choices:
        event("restore: no earlier version")
        return
    key, index = rng.choice(choices)
    before = readings[key]
    shown = chrono_json(runner, url, "show", lib.table, str(key), "--version", f"#{index + 1}")
    compare(lib, key, [before[index]], {"versions": [{**shown["version"], "changes": []}]})
    target, last = before[index]["values"], before[-1]["values"]
    result = invoke(runner, ["--db", url, "restore", lib.table, str(key), "--version", f"#{index + 1}", "--yes"])
    if last is not None and same_state(lib, target, last):
        event("restore: refused, the target equals the current state")
        assert result.exit_code == 6, f"restore to an equal state: exit {result.exit_code}: {result.output}"
    else:
        event("restore: undelete" if last is None else "restore: written")
        assert result.exit_code == 0, f"restore {lib.table} {key} #{index + 1}: {result.exit_code} {result.output}"
        after = lib.reading(key)
        assert after[: len(before)] == before or _kept(lib, before, after), (
            f"the history before the restore changed:\nbefore {_brief(before)}\nafter {_brief(after)}")
        assert after[-1]["values"] is not None and same_state(lib, after[-1]["values"], target), (
            f"after the restore the library reads {after[-1]}, not the target {target}")
        compare(lib, key, after, chrono_json(runner, url, "history", lib.table, str(key)))
    lib.ordinary_write(key)
    compare(lib, key, lib.reading(key), chrono_json(runner, url, "history", lib.table, str(key)))


def _kept(lib: Library, before: list[dict[str, Any]], after: list[dict[str, Any]]) -> bool:
    """Old-state stores: the pre-restore live state becomes a history entry; every earlier entry is unchanged."""
    if len(after) < len(before):
        return False
    for i, (old, new) in enumerate(zip(before, after, strict=False)):
        if old == new or old["values"] is None and i == len(before) - 1:  # an undeleted row's deletion marker
            continue
        if not old.get("current") or not same_state(lib, old["values"], new["values"]):
            return False
    return True


def _brief(entries: Sequence[dict[str, Any]]) -> str:
    return json.dumps(entries, default=str, ensure_ascii=False)[:4000]
