"""Results as rows and columns, for the table, plain, markdown, github and csv formats."""

from __future__ import annotations

from typing import Any

from chrono_cli.model import (
    BlameLine,
    BlameView,
    ChangeList,
    ChangeSet,
    DiffView,
    Op,
    RecordView,
    ResultSet,
    Timeline,
    Version,
)
from chrono_cli.render import changes_out
from chrono_cli.render.encode import text

HISTORY_COLUMNS = ("pos", "version", "op", "from", "to", "actor", "reason", "changes")
BLAME_COLUMNS = ("column", "value", "pos", "version", "at", "actor", "reason", "previous")


def tabular(result: object) -> ResultSet:
    if isinstance(result, ResultSet):
        return result
    if isinstance(result, ChangeList | ChangeSet):
        return changes_out.rows(result)
    if isinstance(result, Timeline):
        return ResultSet(HISTORY_COLUMNS, [_history_row(v) for v in result.versions], title=_title(result))
    if isinstance(result, RecordView):
        v = result.version
        rows: list[list[Any]] = []
        for c in result.columns:
            if v.values is not None and c in v.values:
                rows.append([c, v.values[c], ""])
            elif c in v.unrecorded:
                rows.append([c, None, "not recorded"])
        title = f"{_title(result.timeline)} at {_label(v)}"
        notes = (v.note,) if v.note else ()
        return ResultSet(("column", "value", "note"), rows, title=title, notes=notes)
    if isinstance(result, DiffView):
        rows = [[c.column, c.old, c.new] for c in result.changes]
        rows += [[c, "(not recorded)", "(not recorded)"] for c in result.unrecorded if result.show_all]
        title = f"{_title(result.timeline)}: {_label(result.old)} → {_label(result.new)}"
        return ResultSet(("column", "old", "new"), rows, title=title)
    if isinstance(result, BlameView):
        explained = [f"{line.column}: {line.note}" for line in result.lines if line.note and line.recorded]
        if result.deleted is not None:
            explained.append(f"the record was deleted at p{result.deleted.seq}; blaming its last state")
        return ResultSet(BLAME_COLUMNS, [_blame_row(line) for line in result.lines],
                         title=f"{_title(result.timeline)} blame at {_label(result.state)}", notes=tuple(explained))
    raise TypeError(f"cannot render {type(result).__name__}")


def _blame_row(line: BlameLine) -> list[Any]:
    v = line.version
    if v is None:
        value = line.value if line.recorded else "(not recorded)"
        return [line.column, value, "not recorded", "", "", "", "", ""]
    number = "" if v.number is None else str(v.number)
    return [line.column, line.value, f"p{v.seq}", number, _time(v.valid_from), v.actor or "", v.reason or "",
            line.previous if line.has_previous else ""]


def changes_text(v: Version, sep: str = "\n") -> str:
    if v.op is Op.DELETE:
        return "(deleted)"
    parts = [f"{c.column}: {text(c.old)} → {text(c.new)}" if v.op is not Op.INSERT else f"{c.column} = {text(c.new)}"
             for c in v.changes]
    if not parts and v.seq == 1 and v.op is not Op.INSERT:
        parts.append("(first recorded state)")
    if v.note:
        parts.append(f"[{v.note}]")
    return sep.join(parts)


def _history_row(v: Version) -> list[Any]:
    number = "" if v.number is None else str(v.number)
    if v.current:
        number += " (current)" if number else "(current)"
    return [f"p{v.seq}", number, v.op.value, _time(v.valid_from), _time(v.valid_to), v.actor or "", v.reason or "",
            changes_text(v)]


def _time(value: Any) -> str:
    return "" if value is None else text(value)


def _label(v: Version) -> str:
    label = f"p{v.seq}"
    if v.number is not None:
        label += f" (version {v.number})"
    if v.op is Op.DELETE:
        label += " (deleted)"
    return label


def _title(tl: Timeline) -> str:
    title = f"{tl.table} {tl.key} [{tl.convention}"
    title += f": {tl.history}]" if tl.history else "]"
    if tl.row_type:
        title += f" type={tl.row_type}"
    return title
