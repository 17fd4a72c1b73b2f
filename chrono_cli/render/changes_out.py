"""Change sets as JSON documents and as rows (one row per changed record)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chrono_cli.model import ChangeList, ChangeSet, ResultSet, RowChange
from chrono_cli.render.encode import text

COLUMNS = ("id", "at", "actor", "reason", "exact", "table", "key", "op", "changes")


def changeset_doc(s: ChangeSet) -> dict[str, Any]:
    return {"id": s.id, "at": s.at, "actor": s.actor, "reason": s.reason, "exact": s.exact,
            "changes": [_row_doc(c) for c in s.changes]}


def _row_doc(c: RowChange) -> dict[str, Any]:
    doc: dict[str, Any] = {"table": str(c.table), "key": c.key.as_dict(), "operation": c.op.value, "at": c.at,
                           "actor": c.actor, "reason": c.reason,
                           "changes": [{"column": f.column, "old": f.old, "new": f.new} for f in c.changes]}
    if c.note:
        doc["note"] = c.note
    return doc


def row_lines(result: ChangeList | ChangeSet) -> list[dict[str, Any]]:
    """``-f jsonl``: one line per changed record (table and key first), with the id of its change set."""
    sets = (result,) if isinstance(result, ChangeSet) else result.changesets
    return [{**_row_doc(c), "changeset": s.id, "exact": s.exact} for s in sets for c in s.changes]


def document(result: ChangeList | ChangeSet) -> dict[str, Any]:
    if isinstance(result, ChangeSet):
        return changeset_doc(result)
    return {"changesets": [changeset_doc(s) for s in result.changesets], "next_before": result.next_before}


def rows(result: ChangeList | ChangeSet, time: Callable[[Any], Any] = lambda t: t,
         value: Callable[[Any, str], str] = lambda v, _column: text(v)) -> ResultSet:
    """One row per changed record; ``time`` and ``value`` say how times and values read."""
    sets = (result,) if isinstance(result, ChangeSet) else result.changesets
    out: list[list[Any]] = []
    for s in sets:
        for i, c in enumerate(s.changes):
            head = [s.id, time(s.at), s.actor or "", s.reason or "", "exact" if s.exact else "inferred"] if i == 0 \
                else ["", "", "", "", ""]
            out.append([*head, str(c.table), str(c.key), c.op.value, _changes(c, value)])
    notes = tuple(result.notes) if isinstance(result, ChangeList) else ()
    if isinstance(result, ChangeList) and result.next_before:
        notes += (f"more: chrono changes --before {result.next_before}",)
    if isinstance(result, ChangeList) and not sets:
        notes += ("no changes in that window",)
    return ResultSet(COLUMNS, out, notes=notes)


def _changes(c: RowChange, value: Callable[[Any, str], str]) -> str:
    parts = [f"{f.column}: {value(f.old, f.column)} → {value(f.new, f.column)}" for f in c.changes]
    if c.note:
        parts.append(f"[{c.note}]")
    return "\n".join(parts)
