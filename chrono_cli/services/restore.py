"""``chrono restore``: bring a row back to an earlier version, undelete it, or unarchive it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from chrono_cli import conventions
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.writes import WriteMeta, WriteState
from chrono_cli.conventions.writes.values import fit
from chrono_cli.db.engine import safe_url
from chrono_cli.errors import Refused, UnsupportedOperation, UsageError, VersionNotFound
from chrono_cli.model import Op, RowKey, Timeline, Version
from chrono_cli.services import select
from chrono_cli.services.archive import archive_item
from chrono_cli.services.history import load_timeline
from chrono_cli.services.plan import Plan, PlanItem
from chrono_cli.services.target import Target, open_target
from chrono_cli.services.times import parse_time
from chrono_cli.services.workspace import Catalog, Workspace
from chrono_cli.services.writeset import Prepared, default_reason, finish, key_text, prepare, resolve_meta


def plan_restore(ws: Workspace, table: str, key: str, *, version: str | None = None, at: str | None = None,
                 only: str | None = None, reason: str | None = None, actor: str | None = None,
                 convention: str | None = None) -> Plan:
    """Plan a restore (no version given: undelete a deleted row, or unarchive an archived one)."""
    if version is not None and at is not None:
        raise UsageError("give --version or --at, not both")
    columns = columns_option(only)
    meta = resolve_meta(ws.config, actor, reason)
    now = datetime.now(UTC)
    with ws.catalog() as cat:
        target = open_target(cat, table)
        prep = prepare(cat, target, convention, meta, now)
        if prep.history is None:
            item = _archive_only(cat, target, prep, key, version, at, convention, meta, now)
        else:
            tl = load_timeline(cat, target, key, convention)
            current = prep.writer.current_row(prep.ctx, tl.key)
            item = _choose(cat, target, prep, tl, current, version, at, columns, convention, meta, now)
        return Plan(table=str(target.ref), dialect=cat.dialect, database=safe_url(ws.url), created_at=now,
                    items=(item,), actor=meta.actor, reason=meta.reason)


def _choose(cat: Catalog, target: Target, prep: Prepared, tl: Timeline, current: Mapping[str, Any] | None,
            version: str | None, at: str | None, only: tuple[str, ...] | None, convention: str | None,
            meta: WriteMeta, now: datetime) -> PlanItem:
    if version is None and at is None:
        if current is None:
            chosen = _last_state(tl)
        elif prep.archive is not None and conventions.archiver(prep.archive).is_archived(prep.archive, current):
            if only:
                raise UsageError("--only needs --version or --at (unarchiving sets the archive column only)")
            return archive_item(cat, target, tl.key, archived=False, convention=convention, meta=meta, now=now)
        else:
            raise UsageError(f"{tl.table} {tl.key} exists and is not archived: nothing to undo",
                             hint="give --version N, --version pN (position) or --at TIME (see 'chrono history')")
    else:
        tz = cat.table_config(target.ref).timezone
        chosen = select.pick(tl, version, at=parse_time(at, tz_name=tz) if at else None, tz=tz)
        if chosen.op is Op.DELETE:
            raise UsageError(f"p{chosen.seq} of {tl.table} {tl.key} is its deletion, not a state",
                             hint="restore to a version that holds values")
    action = "restore" if current is not None else "undelete"
    return restore_item(cat, target, tl.key, action=action, seq=chosen.seq, only=only, convention=convention,
                        meta=meta, now=now, timeline=tl)


def restore_item(cat: Catalog, target: Target, key: RowKey, *, action: str, seq: int,
                 only: tuple[str, ...] | None, convention: str | None, meta: WriteMeta, now: datetime,
                 timeline: Timeline | None = None, shared: WriteState | None = None) -> PlanItem:
    """The write-set that brings ``key`` to the state at position ``seq`` of its timeline."""
    tl = timeline or load_timeline(cat, target, key_text(key), convention)
    if not 1 <= seq <= len(tl.versions):
        raise VersionNotFound(f"no position p{seq} in the history of {tl.table} {tl.key}")
    version = tl.versions[seq - 1]
    label = f"version {version.number}" if version.number is not None else f"p{seq}"
    meta = default_reason(meta, f"chrono {action}: state of {label}")
    prep = prepare(cat, target, convention, meta, now, shared)
    prep.writer.writable(prep.ctx, key)
    current = prep.writer.current_row(prep.ctx, key)
    if version.values is None:
        raise UsageError(f"p{seq} of {tl.table} {tl.key} is its deletion, not a state")
    if current is not None:  # a deleted row's re-creation is the writer's insert to check
        prep.writer.restorable(prep.ctx, key, version, f"{label} (p{seq})")
    if current is None and only:
        raise UsageError("--only cannot be used to re-create a deleted row: every column needs a value")
    if (action == "undelete") != (current is None):
        raise Refused(f"{tl.table} {tl.key} was {'re-created' if current else 'deleted'} since the plan was made")
    new, kept = _values(prep, tl, version, current, only, key)
    doc = {"seq": seq, "version": version.number,
           "valid_from": None if version.valid_from is None else version.valid_from.isoformat(),
           "valid_to": None if version.valid_to is None else version.valid_to.isoformat()}
    return finish(prep, key, action, current, new, kept=kept, timeline=tl, target=doc, only=only,
                  what=f"the state of {label} (p{seq})")


def _values(prep: Prepared, tl: Timeline, version: Version, current: Mapping[str, Any] | None,
            only: tuple[str, ...] | None, key: RowKey) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The live row's new values, the columns kept, and a refusal listing every value that cannot be written."""
    info = prep.ctx.live_info
    book = prep.bookkeeping
    tz = prep.ctx.config.timezone
    recorded = dict(version.values or {})
    live_cols = [c for c in info.columns if c not in book]
    keycols = key.as_dict()
    if only:
        known = set(live_cols) | set(recorded) | set(tl.columns)
        unknown = [c for c in only if c not in known or c in book]
        if unknown:
            raise UsageError(f"--only: no column {', '.join(unknown)} in {tl.table} or its history",
                             hint=f"columns: {', '.join(live_cols)}")
        if set(only) & set(keycols):
            raise UsageError(f"--only: {', '.join(sorted(set(only) & set(keycols)))} is the key: it cannot change")
    new: dict[str, Any] = {}
    kept: list[dict[str, str]] = []
    problems: list[str] = []
    for c in live_cols:
        if c in keycols:
            new[c] = keycols[c]
        elif only and c not in only:
            new[c] = current[c]  # type: ignore[index]  # --only is refused for undeletes
        elif only and c not in recorded:
            problems.append(f"{c}: not recorded by the history at p{version.seq}")
        elif c in recorded and current is not None and same(recorded[c], current[c]):
            new[c] = current[c]  # unchanged: what is stored stays, whether or not it would fit today
        elif c in recorded:
            value, problem = fit(recorded[c], info.columns[c], tz, dialect=info.dialect)
            if problem:
                problems.append(f"{c}: {problem}")
            new[c] = value
        elif current is not None:
            new[c] = current[c]
            kept.append({"column": c, "why": "not recorded by the history: current value kept"})
        elif info.columns[c].nullable or info.columns[c].default is not None:
            kept.append({"column": c, "why": "not recorded by the history: left to its default"
                         + (f" ({info.columns[c].default})" if info.columns[c].default else " (NULL)")})
        else:
            problems.append(f"{c}: not recorded by the history, and NOT NULL without a default")
    for c, value in recorded.items():
        if c not in info.columns and c not in book and (not only or c in only) and value is not None:
            problems.append(f"{c}: the column no longer exists (its value {value!r} cannot be restored)")
    if problems:
        hint = "leave those columns out with --only COLS" if current is not None else None
        raise Refused(f"cannot restore {tl.table} {tl.key} to p{version.seq}: " + "; ".join(problems), hint=hint)
    return new, kept


def _last_state(tl: Timeline) -> Version:
    states = [v for v in tl.versions if v.values is not None]
    if not states:
        raise VersionNotFound(f"{tl.table} {tl.key} has no recorded state to re-create")
    return states[-1]


def _archive_only(cat: Catalog, target: Target, prep: Prepared, key: str, version: str | None, at: str | None,
                  convention: str | None, meta: WriteMeta, now: datetime) -> PlanItem:
    if version is not None or at is not None:
        raise UnsupportedOperation(f"{target.ref} has no history store, only an archive column: "
                                   "it can be unarchived, not restored to a version")
    from chrono_cli.services.keys import parse_key

    info = target.info
    rowkey = parse_key(key, prep.ctx.det.key, {c: info.columns[c].type for c in prep.ctx.det.key})
    return archive_item(cat, target, rowkey, archived=False, convention=convention, meta=meta, now=now)


def columns_option(only: str | None) -> tuple[str, ...] | None:
    """--only COLS as a tuple of column names (None: every column)."""
    if only is None:
        return None
    cols = tuple(dict.fromkeys(c.strip() for c in only.split(",") if c.strip()))
    if not cols:
        raise UsageError("--only needs at least one column name")
    return cols
