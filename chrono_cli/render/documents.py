"""The JSON documents chrono prints: the contract other tools script against (see README)."""

from __future__ import annotations

from typing import Any

from chrono_cli.model import (
    BlameLine,
    BlameView,
    ChangeList,
    ChangeSet,
    DiffView,
    FieldChange,
    RecordView,
    ResultSet,
    Timeline,
    Version,
)
from chrono_cli.render import changes_out
from chrono_cli.render.finediff import detail


def version_doc(v: Version) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "seq": v.seq, "version": v.number, "operation": v.op.value,
        "valid_from": v.valid_from, "valid_to": v.valid_to, "actor": v.actor, "reason": v.reason,
        "current": v.current, "values": None if v.values is None else dict(v.values),
        "unrecorded": list(v.unrecorded), "changes": [change_doc(c) for c in v.changes],
    }
    if v.note:
        doc["note"] = v.note
    return doc


def change_doc(c: FieldChange) -> dict[str, Any]:
    return {"column": c.column, "old": c.old, "new": c.new}


def diff_change_doc(c: FieldChange) -> dict[str, Any]:
    """A change of ``chrono diff``: with ``detail`` (changed words or JSON paths) when the field has one."""
    doc = change_doc(c)
    found = detail(c.column, c.old, c.new)
    if found is not None:
        doc["detail"] = found
    return doc


def blame_doc(line: BlameLine) -> dict[str, Any]:
    """One column of ``chrono blame``: history's vocabulary; the setter's fields are null when unknowable."""
    v = line.version
    setter: dict[str, Any] = dict.fromkeys(("seq", "version", "operation", "at", "actor", "reason"))
    if v is not None:
        setter = {"seq": v.seq, "version": v.number, "operation": v.op.value, "at": v.valid_from,
                  "actor": v.actor, "reason": v.reason}
    return {"column": line.column, "value": line.value, **setter, "previous": line.previous,
            "recorded": line.recorded, "note": line.note}


def header(tl: Timeline) -> dict[str, Any]:
    doc: dict[str, Any] = {"table": str(tl.table), "key": tl.key.as_dict(), "convention": tl.convention,
                           "history": None if tl.history is None else str(tl.history)}
    if tl.row_type is not None:
        doc["type"] = tl.row_type
    return doc


def document(result: object) -> Any:
    """What ``-f json`` prints for a result."""
    if isinstance(result, Timeline):
        return {**header(result), "versions": [version_doc(v) for v in result.versions]}
    if isinstance(result, RecordView):
        doc = version_doc(result.version)
        if doc["values"] is not None:
            doc["values"] = {c: doc["values"][c] for c in result.columns if c in doc["values"]}
        return {**header(result.timeline), "version": doc}
    if isinstance(result, DiffView):
        return {**header(result.timeline), "from": _summary(result.old), "to": _summary(result.new),
                "changes": [diff_change_doc(c) for c in result.changes], "unrecorded": list(result.unrecorded)}
    if isinstance(result, BlameView):
        return {**header(result.timeline), "state": _summary(result.state),
                "deleted": None if result.deleted is None else _summary(result.deleted),
                "columns": [blame_doc(line) for line in result.lines]}
    if isinstance(result, ChangeList | ChangeSet):
        return changes_out.document(result)
    if isinstance(result, ResultSet):
        if result.document is not None:
            return result.document
        return [dict(zip(result.columns, row, strict=False)) for row in result.rows]
    raise TypeError(f"cannot render {type(result).__name__}")


def lines(result: object) -> list[Any]:
    """What ``-f jsonl`` prints, one item per line; a line about a record names its table and key first."""
    if isinstance(result, Timeline):
        return [{**record(result), **version_doc(v)} for v in result.versions]
    if isinstance(result, BlameView):
        return [{**record(result.timeline), **blame_doc(line)} for line in result.lines]
    if isinstance(result, ChangeList | ChangeSet):
        return changes_out.row_lines(result)
    if isinstance(result, ResultSet) and result.lines is not None:
        return list(result.lines)
    doc = document(result)
    if isinstance(result, ResultSet) and isinstance(doc, dict):
        for value in doc.values():
            if isinstance(value, list):  # the listing's rows: each with the table the listing is of
                table = doc.get("table")
                return [{"table": table, **item} if isinstance(table, str) and isinstance(item, dict)
                        and "table" not in item else item for item in value]
    return doc if isinstance(doc, list) else [doc]


def record(tl: Timeline) -> dict[str, Any]:
    """The table and key a timeline is of, as every jsonl line about it starts."""
    return {"table": str(tl.table), "key": tl.key.as_dict()}


def _summary(v: Version) -> dict[str, Any]:
    return {"seq": v.seq, "version": v.number, "operation": v.op.value, "valid_from": v.valid_from,
            "valid_to": v.valid_to, "actor": v.actor, "reason": v.reason, "current": v.current}
