"""``chrono tables``: what was detected where."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from chrono_cli import conventions
from chrono_cli.conventions import Detection
from chrono_cli.conventions.rows import count
from chrono_cli.db.reflect import SchemaSnapshot
from chrono_cli.errors import ChronoError
from chrono_cli.model import ResultSet, TableRef
from chrono_cli.services.attribution import suggestions
from chrono_cli.services.target import open_target
from chrono_cli.services.workspace import Catalog, Workspace


def list_tables(ws: Workspace, *, counts: bool = False, explain: bool = False,
                progress: Callable[[str, int, int], None] | None = None) -> ResultSet:
    """One row per live table that carries at least one convention."""
    with ws.catalog() as cat:
        if progress:
            progress("reading the catalog", 0, 0)
        snapshot = cat.full_snapshot()
        if progress:
            progress("detecting conventions", 0, 0)
        detections = cat.detections(snapshot)
        by_table: dict[TableRef, list[Detection]] = {}
        for d in detections:
            by_table.setdefault(d.live, []).append(d)
        docs: list[dict[str, Any]] = []
        for ref in sorted(by_table, key=lambda r: (r.schema or "", r.name)):
            dets = by_table[ref]
            history = [d for d in dets if not conventions.is_archive(d)]
            archive = next((d for d in dets if conventions.is_archive(d)), None)
            doc: dict[str, Any] = {
                "table": str(ref), "conventions": [d.adapter for d in dets],
                "history": [str(d.store) if not d.in_table else "(same table)" for d in history],
                "key": list(dets[0].key),
                "archive_column": conventions.archiver(archive).column(archive) if archive else None,
            }
            if counts:
                if progress:
                    progress("counting rows", len(docs), len(by_table))
                doc["rows"] = count(cat.conn, snapshot.tables[ref].table())
                doc["history_rows"] = _history_rows(cat, snapshot, history)
            if explain:
                doc["evidence"] = {d.adapter: list(d.evidence) for d in dets}
                doc["degraded"] = {d.adapter: list(d.reasons) for d in dets if d.degraded}
                doc["suggestions"] = suggestions(snapshot.tables[ref], cat.table_config(ref))
            docs.append(doc)
    columns = ["table", "conventions", "history", "key", "archive"]
    if counts:
        columns += ["rows", "history rows"]
    if explain:
        columns.append("evidence")
    rows = []
    for doc in docs:
        row: list[Any] = [doc["table"], ", ".join(doc["conventions"]), ", ".join(doc["history"]) or "",
                          ", ".join(doc["key"]), doc["archive_column"] or ""]
        if counts:
            row += [doc["rows"], "" if doc["history_rows"] is None else doc["history_rows"]]
        if explain:
            row.append("\n".join([f"{a}: {e}" for a, ev in doc["evidence"].items() for e in ev]
                                  + [f"{a}: DEGRADED: {r}" for a, rs in doc["degraded"].items() for r in rs]
                                  + [f"suggestion (not applied): {s}" for s in doc["suggestions"]]))
        rows.append(row)
    notes = () if docs else ("no versioned or archivable tables detected",)
    return ResultSet(columns, rows, title=None, document={"tables": docs}, notes=notes)


def table_stats(ws: Workspace, tables: Sequence[str]) -> dict[str, tuple[int | None, Any]]:
    """Each of ``tables``' history rows (None: no history store) and the time of its newest change set (None: none,
    or its store cannot list changes), read in one catalog (the browser's tables screen asks 30 tables at a time)."""
    from chrono_cli.services.changes import changes_in

    out: dict[str, tuple[int | None, Any]] = {}
    with ws.catalog() as cat:
        for name in tables:
            target = open_target(cat, name)
            rows = _history_rows(cat, target.snapshot, [d for d in target.detections if not conventions.is_archive(d)])
            last = None
            if rows is not None:
                try:
                    with cat.conn.begin_nested():  # a failed listing leaves the transaction usable for the next
                        sets = changes_in(cat, [target], limit=1).changesets
                except ChronoError:
                    sets = ()
                last = sets[0].at if sets else None
            out[name] = (rows, last)
    return out


def _history_rows(cat: Catalog, snapshot: SchemaSnapshot, history: list[Detection]) -> int | None:
    if not history:
        return None
    return sum(conventions.of(d).detector.count_history(cat.conn, snapshot, d) or 0 for d in history)
