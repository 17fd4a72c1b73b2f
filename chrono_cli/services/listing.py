"""``chrono archived`` and ``chrono deleted``: rows hidden by an archive column, rows only the history knows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from chrono_cli import conventions
from chrono_cli.conventions.writes import WriteContext, WriteMeta
from chrono_cli.errors import NoConvention, UnsupportedOperation
from chrono_cli.model import Op, ResultSet, RowKey, Timeline, Version
from chrono_cli.services.target import open_target
from chrono_cli.services.workspace import Workspace
from chrono_cli.services.writeset import Prepared, key_text, prepare, timeline_or_none

COLUMNS = ("key", "when", "by", "reason", "last state")


def archived(ws: Workspace, table: str, *, limit: int | None = None, convention: str | None = None) -> ResultSet:
    """Rows whose archive column is set, with their state and, where history says it, when and by whom."""
    with ws.catalog() as cat:
        target = open_target(cat, table)
        arch = target.archive()
        if arch is None:
            raise NoConvention(f"no archive column detected on table '{target.ref}'",
                               hint=f"declare one in chrono.toml: [tables.{target.ref.name}] archive_column = \"...\"")
        prep = prepare(cat, target, convention, WriteMeta(), datetime.now(UTC))
        archiver = conventions.archiver(arch)
        column = archiver.column(arch)
        ctx = WriteContext(cat.conn, target.snapshot, arch, prep.ctx.config, prep.ctx.now)
        docs: list[dict[str, Any]] = []
        for row in archiver.archived_rows(ctx, None):
            key = RowKey(tuple((c, row[c]) for c in prep.ctx.det.key))
            if prep.history is not None and prep.writer.current_row(prep.ctx, key) != row:
                continue  # an old version of an in-table convention, not the current row
            when = archiver.archived_at(arch, row)
            who = why = None
            tl = timeline_or_none(cat, target, prep, key, convention)
            change = _archived_by(tl, column) if tl else None
            if change is not None:
                when, who, why = when or change.valid_from, change.actor, change.reason
            docs.append(_doc(key, when, who, why, _state(row, prep)))
            if limit is not None and len(docs) >= limit:
                break
    notes = () if docs else (f"no archived rows in {target.ref}",)
    return _result(docs, f"archived rows of {target.ref} ({column})", notes,
                   {"table": str(target.ref), "archive_column": column})


def deleted(ws: Workspace, table: str, *, limit: int | None = None, convention: str | None = None) -> ResultSet:
    """Keys the history knows whose row is gone: the last state, when it was deleted and by whom."""
    with ws.catalog() as cat:
        target = open_target(cat, table)
        prep = prepare(cat, target, convention, WriteMeta(), datetime.now(UTC))
        if prep.history is None:
            raise UnsupportedOperation(f"{target.ref} has no history store: chrono cannot know which rows were deleted")
        docs = []
        notes: list[str] = []
        for key in prep.writer.deleted_keys(prep.ctx, limit):
            tl = timeline_or_none(cat, target, prep, key, convention)
            if tl is None:
                continue
            states = [v for v in tl.versions if v.values is not None]
            gone = tl.versions[-1] if tl.versions[-1].op is Op.DELETE else None
            docs.append(_doc(key, gone.valid_from if gone else None, gone.actor if gone else None,
                             gone.reason if gone else None, dict(states[-1].values or {}) if states else {}))
        notes += prep.writer.deletion_notes(prep.history)
        if not prep.convention.traits.records_deletes:
            notes.append(f"{prep.convention.title} records no deletions: times and actors are unknown")
    if not docs:
        notes.append(f"no deleted rows known to the history of {target.ref}")
    return _result(docs, f"deleted rows of {target.ref} [{prep.history.adapter}: {prep.history.store}]", tuple(notes),
                   {"table": str(target.ref), "convention": prep.history.adapter})


def marks(ws: Workspace, table: str, keys: Iterable[RowKey]) -> dict[str, str]:
    """Each key's mark as the live table says now, by its key text: ``deleted`` (no live row), ``archived`` (its
    archive column set) or ``""`` (there). One point read per key, as the library sees its rows."""
    keys = list(keys)
    if not keys:
        return {}
    with ws.catalog() as cat:
        target = open_target(cat, table)
        prep = prepare(cat, target, None, WriteMeta(), datetime.now(UTC))
        arch = target.archive()
        column = conventions.archiver(arch).column(arch) if arch is not None else None
        out: dict[str, str] = {}
        for key in keys:
            row = prep.writer.current_row(prep.ctx, key)
            out[key_text(key)] = "deleted" if row is None else \
                "archived" if column is not None and is_archived_value(row.get(column)) else ""
    return out


def _archived_by(tl: Timeline, column: str) -> Version | None:
    """The newest version whose change set the archive column."""
    found = None
    for v in tl.versions:
        for c in v.changes:
            if c.column == column and is_archived_value(c.new) and not is_archived_value(c.old):
                found = v
    return found


def is_archived_value(value: Any) -> bool:
    return value is not None and value is not False and value != 0


def _state(row: Mapping[str, Any], prep: Prepared) -> dict[str, Any]:
    return {c: v for c, v in row.items() if c not in prep.bookkeeping}


def _doc(key: RowKey, when: Any, who: str | None, why: str | None, state: dict[str, Any]) -> dict[str, Any]:
    return {"key": key.as_dict(), "when": when, "actor": who, "reason": why, "values": state}


def _result(docs: list[dict[str, Any]], title: str, notes: tuple[str, ...], header: dict[str, Any]) -> ResultSet:
    rows = [[key_text(d["key"]), d["when"], d["actor"], d["reason"], d["values"]] for d in docs]
    return ResultSet(COLUMNS, rows, title=title, document={**header, "rows": docs}, notes=notes)

