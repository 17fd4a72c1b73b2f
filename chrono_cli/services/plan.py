"""Plans: what a write would change and the exact statements, as a reviewable JSON document.

A plan holds one item per row. Each item names its action (restore, undelete, archive, unarchive), the
row's key, the convention whose write-set it uses, the expected current-row fingerprint (a hash of every
column of the live row, or "absent") and history-row count, the diff, the columns kept because the history
did not record them, and the statements compiled for the database's dialect with their parameters as JSON
values. ``chrono apply`` re-checks all of that inside the write transaction before running anything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from chrono_cli.conventions.writes import Step
from chrono_cli.conventions.writes.values import jsonable
from chrono_cli.errors import UsageError
from chrono_cli.records import Struct
from chrono_cli.services.files import read_text

FORMAT = "chrono-plan"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class PlanItem:
    """The write of one row."""

    action: str                       # restore | undelete | archive | unarchive
    key: Mapping[str, Any]            # JSON values
    convention: str                   # the adapter whose write-set is used
    history: str | None               # the store written to, if any
    expected_row: str                 # fingerprint of the live row before the write
    expected_history: int             # store rows of the key before the write
    diff: Sequence[Mapping[str, Any]]          # {"column", "old", "new"}
    statements: Sequence[Mapping[str, Any]]    # {"label", "sql", "params"}
    target: Mapping[str, Any] | None = None    # {"seq", "version", "valid_from", "valid_to"}
    only: tuple[str, ...] | None = None
    kept: Sequence[Mapping[str, Any]] = ()     # {"column", "why"}
    notes: tuple[str, ...] = ()
    steps: tuple[Step, ...] = field(default=(), compare=False)  # runnable statements (not serialised)
    table: str | None = None          # the live table (None: the plan's table)

    def to_json(self) -> dict[str, Any]:
        return {"table": self.table, "action": self.action, "key": dict(self.key), "convention": self.convention,
                "history": self.history, "target": None if self.target is None else dict(self.target),
                "only": None if self.only is None else list(self.only),
                "expected": {"row": self.expected_row, "history_rows": self.expected_history},
                "diff": [dict(d) for d in self.diff], "kept": [dict(k) for k in self.kept],
                "statements": [dict(s) for s in self.statements], "notes": list(self.notes)}

    @classmethod
    def from_json(cls, doc: Any) -> PlanItem:
        """An item of a plan document; a field of the wrong type is a usage error naming the field."""
        doc = typed(doc, dict, "item")
        expected = typed(doc.get("expected"), dict, "expected")
        only = typed(doc.get("only"), list, "only", optional=True)
        target = typed(doc.get("target"), dict, "target", optional=True)
        if target is not None and "seq" in target:
            typed(target["seq"], int, "target.seq")
        return cls(action=typed(doc.get("action"), str, "action"), key=typed(doc.get("key"), dict, "key"),
                   convention=typed(doc.get("convention"), str, "convention"),
                   history=typed(doc.get("history"), str, "history", optional=True),
                   expected_row=typed(expected.get("row"), str, "expected.row"),
                   expected_history=typed(expected.get("history_rows"), int, "expected.history_rows"),
                   diff=records(doc.get("diff"), "diff", ("column", "old", "new")),
                   statements=records(doc.get("statements"), "statements", ("label", "sql", "params")),
                   target=target,
                   only=None if only is None else tuple(typed(c, str, "only[]") for c in only),
                   kept=records(doc.get("kept") or [], "kept", ("column", "why")),
                   notes=texts(doc.get("notes"), "notes"), table=typed(doc.get("table"), str, "table", optional=True))


class MalformedPlan(UsageError):
    """A plan document with a missing field or a field of the wrong type."""


def typed(value: Any, kind: type, field: str, *, optional: bool = False) -> Any:
    """``value`` if it is a ``kind`` (or None, if ``optional``), else a usage error naming ``field``."""
    if value is None and optional:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        got = "nothing" if value is None else type(value).__name__
        raise MalformedPlan(f"malformed plan: {field} must be {_NAMES[kind]}, not {got}")
    return value


_NAMES = {str: "a string", int: "an integer", dict: "an object", list: "a list", bool: "true or false"}


def records(value: Any, field: str, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """A list of objects, each with ``keys`` (a usage error otherwise)."""
    out = [typed(v, dict, f"{field}[]") for v in typed(value, list, field)]
    for record in out:
        missing = [k for k in keys if k not in record]
        if missing:
            raise MalformedPlan(f"malformed plan: an entry of {field} has no {', '.join(missing)}")
    return out


def texts(value: Any, field: str) -> tuple[str, ...]:
    """A list of strings (missing: none)."""
    return tuple(typed(v, str, f"{field}[]") for v in typed(value or [], list, field))


def plan_time(doc: Mapping[str, Any]) -> datetime:
    """A plan document's ``created_at``: an ISO-8601 time with its zone."""
    try:
        created = datetime.fromisoformat(typed(doc.get("created_at"), str, "created_at"))
    except ValueError:
        raise MalformedPlan(f"malformed plan: created_at {doc['created_at']!r} is not an ISO-8601 time") from None
    if created.tzinfo is None:
        raise MalformedPlan("malformed plan: created_at has no time zone")
    return created


class Plan(Struct, frozen=True):
    """A write to one table, planned at ``created_at``: one item per row, applied in one transaction."""

    table: str
    dialect: str
    database: str
    created_at: datetime
    items: tuple[PlanItem, ...]
    actor: str | None = None
    reason: str | None = None
    notes: tuple[str, ...] = ()
    revert: Mapping[str, Any] | None = None  # {"changeset", "exact", "force", "conflicts", "skipped"}
    skipped: tuple[Mapping[str, Any], ...] = ()  # {"table", "key", "why"}: rows named but left alone

    def to_json(self) -> dict[str, Any]:
        """The plan document (``--plan FILE``, ``-f json``, hook stdin)."""
        doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "table": self.table,
               "dialect": self.dialect, "database": self.database, "created_at": self.created_at.isoformat(),
               "actor": self.actor, "reason": self.reason, "notes": list(self.notes),
               "items": [i.to_json() for i in self.items]}
        if self.revert is not None:
            doc["revert"] = dict(self.revert)
        if self.skipped:
            doc["skipped"] = [dict(s) for s in self.skipped]
        return doc

    def lines(self) -> list[dict[str, Any]]:
        """``-f jsonl``: one line per row, written (its item) or skipped (``"action": "skip"``), table and key first."""
        written = [{"table": i.table or self.table, "key": dict(i.key), **{k: v for k, v in i.to_json().items()
                                                                         if k not in ("table", "key")}}
                   for i in self.items]
        return written + [{"table": s["table"], "key": s["key"], "action": "skip", "why": s["why"]}
                          for s in self.skipped]

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, doc: Any) -> Plan:
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise UsageError("not a chrono plan (no \"format\": \"chrono-plan\")")
        if doc.get("format_version") != FORMAT_VERSION:
            raise UsageError(f"unsupported plan format version {doc.get('format_version')!r} "
                             f"(this chrono reads version {FORMAT_VERSION})")
        created = plan_time(doc)
        items = tuple(PlanItem.from_json(i) for i in typed(doc.get("items"), list, "items"))
        if not items:
            raise MalformedPlan("the plan has no items: it writes nothing",
                                hint="a plan comes from --plan FILE of a write that changes at least one row")
        return cls(table=typed(doc.get("table"), str, "table"), dialect=typed(doc.get("dialect"), str, "dialect"),
                   database=str(doc.get("database", "")), created_at=created, items=items,
                   actor=typed(doc.get("actor"), str, "actor", optional=True),
                   reason=typed(doc.get("reason"), str, "reason", optional=True),
                   notes=texts(doc.get("notes"), "notes"),
                   revert=typed(doc.get("revert"), dict, "revert", optional=True),
                   skipped=tuple(records(doc.get("skipped") or [], "skipped", ("table", "key", "why"))))

    def save(self, path: str | Path) -> None:
        """Write the plan document to ``path``."""
        write_document(path, self.dumps())


def write_document(path: str | Path, text: str) -> None:
    """Write a plan document's JSON ``text`` to ``path``."""
    try:
        Path(path).write_text(text + "\n", encoding="utf-8")
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise UsageError(f"cannot write plan {path!r}: {reason}") from None


def read_document(path: str | Path) -> Any:
    """The JSON document of a plan file (either format: ``Plan.from_json`` or services/revert_set_file.py reads it)."""
    text = read_text(path, "plan")
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"plan {path} is not JSON: {exc}") from None
    except RecursionError:
        raise UsageError(f"plan {path} is nested too deeply to be a chrono plan") from None


def compiled(steps: Sequence[Step], dialect: Any) -> list[dict[str, Any]]:
    """Statements compiled for ``dialect``, with their parameters as JSON values."""
    out = []
    for step in steps:
        c = step.statement.compile(dialect=dialect)
        out.append({"label": step.label, "sql": str(c).strip(), "params": jsonable(dict(c.params))})
    return out


def item_title(plan: Plan, item: PlanItem) -> str:
    """One line naming a plan item: what, which row, to which version, in which store (CLI and browser alike)."""
    from chrono_cli.services.writeset import key_text

    what = f"{item.action} {item.table or plan.table} {key_text(item.key)}"
    if item.target:
        number = item.target.get("version")
        what += f" to p{item.target['seq']}" + (f" (version {number})" if number is not None else "")
    if item.only:
        what += f", only {', '.join(item.only)}"
    return what + f" [{item.convention}" + (f": {item.history}]" if item.history else "]")
