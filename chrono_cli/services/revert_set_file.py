"""The plan file of a set-based ``chrono revert`` (``--plan FILE``) and its ``chrono apply``.

The document is the set-based plan (``SetRevert.to_json(rows=True)``: every row's item, the counts, the conflicts
and skipped rows, the statements) with its own format marker and what a re-plan needs (the change set, an inferred
set's grouping window, force, actor, reason, the plan's time, the dialect). Applying it plans the revert again,
set-based, as of the plan's time, and refuses unless that plan shows exactly what the file shows; the write
(``revert_set_write.apply_set_revert``) then locks and compares every live row with it in its transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from chrono_cli.errors import Refused, UsageError
from chrono_cli.records import Struct
from chrono_cli.services.changes import DEFAULT_WINDOW, check_window
from chrono_cli.services.plan import MalformedPlan, plan_time, records, texts, typed, write_document
from chrono_cli.services.revert_set import plan_set_revert, set_head
from chrono_cli.services.revert_set_plan import SetRevert
from chrono_cli.services.workspace import Workspace
from chrono_cli.services.writeset import key_text

FORMAT = "chrono-revert-set"
FORMAT_VERSION = 1
STALE = "make a new plan"
# what the file shows and the re-plan must show alike, in the order a difference is named
SHOWN = ("items", "undelete", "restore", "delete", "conflicts", "skipped", "statements", "tables", "notes",
         "changeset")


def is_set_plan(doc: Any) -> bool:
    """Whether a plan file's document is a set-based revert's (else ``Plan.from_json`` reads it)."""
    return isinstance(doc, dict) and doc.get("format") == FORMAT


def document(result: SetRevert, window: float | None) -> dict[str, Any]:
    """The plan file's document; ``window``: the grouping window of an inferred set (None: an exact one)."""
    doc = {"format": FORMAT, "format_version": FORMAT_VERSION, **result.to_json(rows=True)}
    doc["revert"]["window"] = None if result.changeset.exact else window
    return doc


def save(path: str | Path, result: SetRevert, window: float | None) -> None:
    """Write the plan file of ``result`` to ``path``."""
    write_document(path, json.dumps(document(result, window), ensure_ascii=False, indent=2))


class SetPlan(Struct, frozen=True):
    """A set-based revert's plan file, read: what re-plans it, and the document it shows."""

    changeset: str
    window: float | None
    force: bool
    actor: str | None
    reason: str | None
    created_at: datetime
    dialect: str
    doc: Mapping[str, Any]

    @classmethod
    def from_json(cls, doc: Any) -> SetPlan:
        """The plan file's document; a missing field or one of the wrong type is a usage error naming it."""
        if not is_set_plan(doc):
            raise UsageError(f"not a set-based revert plan (no \"format\": \"{FORMAT}\")")
        if doc.get("format_version") != FORMAT_VERSION:
            raise UsageError(f"unsupported plan format version {doc.get('format_version')!r} "
                             f"(this chrono reads version {FORMAT_VERSION})")
        revert = typed(doc.get("revert"), dict, "revert")
        window = revert.get("window")
        if window is not None:
            if isinstance(window, bool) or not isinstance(window, int | float):
                raise MalformedPlan(f"malformed plan: revert.window must be a number, not {type(window).__name__}")
            window = check_window(float(window))
        for name in ("undelete", "restore", "delete"):
            typed(doc.get(name), int, name)
        for i, item in enumerate(records(doc.get("items"), "items", ("table", "key", "action", "diff"))):
            typed(item["table"], str, f"items[{i}].table")
            typed(item["key"], dict, f"items[{i}].key")
            typed(item["action"], str, f"items[{i}].action")
            records(item["diff"], f"items[{i}].diff", ("column", "old", "new"))
        records(doc.get("statements"), "statements", ("label", "sql", "params"))
        records(revert.get("conflicts"), "revert.conflicts", ("table", "key", "message"))
        texts(typed(revert.get("skipped"), list, "revert.skipped"), "revert.skipped")
        texts(typed(doc.get("tables"), list, "tables"), "tables")
        texts(doc.get("notes"), "notes")
        return cls(changeset=typed(revert.get("changeset"), str, "revert.changeset"), window=window,
                   force=typed(revert.get("force"), bool, "revert.force"),
                   actor=typed(doc.get("actor"), str, "actor", optional=True),
                   reason=typed(doc.get("reason"), str, "reason", optional=True), created_at=plan_time(doc),
                   dialect=typed(doc.get("dialect"), str, "dialect"), doc=doc)


def replan(ws: Workspace, plan: SetPlan) -> SetRevert:
    """The revert of the plan file, planned again set-based as of its time: refused (nothing written) if it can no
    longer be planned so, cannot be written, or shows anything other than the file does."""
    dialect = ws.engine.dialect.name
    if plan.dialect != dialect:
        raise UsageError(f"the plan was made for {plan.dialect}, this database is {dialect}")
    cs = plan.changeset
    head = set_head(ws, cs, DEFAULT_WINDOW if plan.window is None else plan.window)
    again = None if head is None else plan_set_revert(ws, head, force=plan.force, actor=plan.actor,
                                                      reason=plan.reason, now=plan.created_at)
    if again is None:
        raise Refused(f"change set {cs} can no longer be reverted set-based as the plan was: nothing written",
                      hint=STALE)
    if again.blocked:
        first, more = again.blocked[0], len(again.blocked) - 1
        raise Refused(f"change set {cs} cannot be reverted now: {first.table} {key_text(first.key)}: {first.message}"
                      + (f" (and {more} more rows)" if more else "") + ": nothing written", hint=STALE)
    # as the file holds it: through JSON, as it was written
    now = _shown(json.loads(json.dumps(document(again, plan.window), ensure_ascii=False)))
    was = _shown(plan.doc)
    for name in SHOWN:
        if now[name] != was[name]:
            raise Refused(f"change set {cs} changed since the plan was made ({plan.created_at.isoformat()}): "
                          f"{_difference(name, was[name], now[name])}; nothing written", hint=STALE)
    return again


def _shown(doc: Mapping[str, Any]) -> dict[str, Any]:
    """What a set-plan document shows, by the names of ``SHOWN``."""
    revert = doc["revert"]
    return {**{name: doc.get(name) for name in ("items", "undelete", "restore", "delete", "statements", "tables",
                                                 "notes")},
            "conflicts": revert.get("conflicts"), "skipped": revert.get("skipped"),
            "changeset": {k: revert.get(k) for k in ("changeset", "exact", "at", "actor", "force", "window")}}


def _difference(name: str, was: Any, now: Any) -> str:
    """The first difference between the file's ``name`` and the re-plan's, in words."""
    if name == "items":
        planned = {_row(i): i for i in now}
        for old in was:
            if planned.get(_row(old)) != old:
                return f"{old['table']} {key_text(old['key'])} is no longer written as the plan shows"
        shown = {_row(i) for i in was}
        for new in now:
            if _row(new) not in shown:
                return f"{new['table']} {key_text(new['key'])} would be written too (the plan does not show it)"
        return "its rows are listed in another order"
    if name in ("undelete", "restore", "delete"):
        return f"{now} rows to {name} instead of {was}"
    if name == "conflicts":
        return f"{len(now)} later changes to write over instead of {len(was)}"
    return f"its {name} differ"


def _row(item: Mapping[str, Any]) -> str:
    """An item's table and key, as one comparable text."""
    return json.dumps([item["table"], item["key"]], sort_keys=True)
