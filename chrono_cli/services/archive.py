"""``chrono archive`` / ``unarchive``: set or clear a row's archive column, writing its history too."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chrono_cli import conventions
from chrono_cli.conventions import Detection
from chrono_cli.conventions.writes import WriteMeta, WriteState
from chrono_cli.conventions.writes.values import jsonable
from chrono_cli.db.engine import safe_url
from chrono_cli.errors import NoConvention, Refused, RowNotFound, UsageError
from chrono_cli.model import RowKey
from chrono_cli.services.keys import parse_key
from chrono_cli.services.plan import Plan, PlanItem
from chrono_cli.services.target import Target, open_target
from chrono_cli.services.workspace import Catalog, Workspace
from chrono_cli.services.writeset import Prepared, default_reason, finish, key_text, prepare, timeline_or_none


def plan_archive(ws: Workspace, table: str, keys: list[str], *, archived: bool, meta: WriteMeta,
                 convention: str | None = None) -> Plan:
    """Plan archiving (or unarchiving) the rows named by ``keys``, all in one transaction."""
    if not keys:
        raise UsageError("name at least one row")
    now = datetime.now(UTC)
    with ws.catalog() as cat:
        target = open_target(cat, table)
        prep = prepare(cat, target, convention, meta, now)
        _archive_detection(prep, target)
        info = target.info
        names = prep.ctx.det.key
        rowkeys = list(dict.fromkeys(parse_key(k, names, {c: info.columns[c].type for c in names}) for k in keys))
        shared = WriteState()  # the rows are one write: e.g. one Continuum transaction for all
        items: list[PlanItem] = []
        skipped: list[dict[str, Any]] = []
        for k in rowkeys:
            try:
                items.append(archive_item(cat, target, k, archived=archived, convention=convention, meta=meta,
                                          now=now, shared=shared))
            except AlreadyInState as exc:
                if len(rowkeys) == 1:
                    raise  # one row already so: nothing to write, as before
                skipped.append({"table": str(target.ref), "key": jsonable(k.as_dict()), "why": exc.state})
        if not items:
            listed = ", ".join(key_text(k) for k in rowkeys)
            raise Refused(f"{target.ref} {listed} are already {'archived' if archived else 'not archived'}: "
                          "nothing to write")
        return Plan(table=str(target.ref), dialect=cat.dialect, database=safe_url(ws.url), created_at=now,
                    items=tuple(items), actor=meta.actor, reason=meta.reason, skipped=tuple(skipped))


class AlreadyInState(Refused):
    """The row is already archived (or not archived): archiving it again would write nothing."""

    def __init__(self, message: str, state: str) -> None:
        super().__init__(message)
        self.state = state


def archive_item(cat: Catalog, target: Target, key: RowKey, *, archived: bool, convention: str | None,
                 meta: WriteMeta, now: datetime, shared: WriteState | None = None) -> PlanItem:
    """The write-set that archives or unarchives one row (an ordinary versioned update where there is history)."""
    meta = default_reason(meta, f"chrono {'archive' if archived else 'unarchive'}")
    prep = prepare(cat, target, convention, meta, now, shared)
    arch = _archive_detection(prep, target)
    ctx = prep.ctx
    prep.writer.writable(ctx, key)
    current = prep.writer.current_row(ctx, key)
    where = f"{target.ref} {key_text(key)}"
    if current is None:
        raise RowNotFound(f"no row {where}")
    archiver = conventions.archiver(arch)
    if archiver.is_archived(arch, current) == archived:
        state = f"already {'archived' if archived else 'not archived'}"
        raise AlreadyInState(f"{where} is {state}: nothing to write", state)
    new = {c: current[c] for c in ctx.live_info.columns if c not in prep.bookkeeping}
    new[archiver.column(arch)] = archiver.archive_value(ctx, arch, archived)
    return finish(prep, key, "archive" if archived else "unarchive", current, new,
                  timeline=timeline_or_none(cat, target, prep, key, convention),
                  what="archived" if archived else "not archived")


def _archive_detection(prep: Prepared, target: Target) -> Detection:
    if prep.archive is None:
        raise NoConvention(f"no archive column detected on table '{target.ref}'",
                           hint=f"declare one in chrono.toml: [tables.{target.ref.name}] archive_column = \"...\"")
    return prep.archive


