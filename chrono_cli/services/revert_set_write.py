"""The write of a set-based ``chrono revert`` (``revert_set.plan_set_revert``'s plan), in one transaction: per
table the target rows staged and the live rows locked and compared with the plan (refused, nothing written, if any
changed since), then the bulk writers' statements, re-inserts and updates parents first, deletes children first."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table

from chrono_cli import conventions
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.shapes import staging, undo_plan
from chrono_cli.conventions.shapes.bulk import locked_rows, mark_objects
from chrono_cli.conventions.writes import WriteContext, WriteMeta, WriteState
from chrono_cli.db.reflect import gc_paused
from chrono_cli.db.write import write_transaction
from chrono_cli.errors import Refused
from chrono_cli.services.hooks import after_commit, before_commit
from chrono_cli.services.revert_set_plan import Quick, SetPart, SetRevert, SetRow, write_context
from chrono_cli.services.workspace import Catalog, Workspace

Progress = Callable[[str, int, int], None]


def write_order(parts: Sequence[SetPart]) -> list[tuple[SetPart, bool]]:
    """Re-inserts and updates parents first, then deletes children first: (part, deletes?)."""
    ranked = sorted(parts, key=lambda p: p.rank)
    writes = [(p, False) for p in ranked if p.quick is not None or any(r.action != "delete" for r in p.rows)]
    return writes + [(p, True) for p in reversed(ranked)
                     if p.quick is None and any(r.action == "delete" for r in p.rows)]  # a quick part only restores


def apply_set_revert(ws: Workspace, plan: SetRevert, progress: Progress | None = None) -> list[str]:
    """Write ``plan`` in one transaction, or refuse and write nothing; returns after-commit warnings."""
    now = datetime.now(UTC)
    meta = WriteMeta(actor=plan.actor, reason=plan.reason)
    with gc_paused(), write_transaction(ws.engine) as conn:
        cat = Catalog(conn, ws.config, ws.settings.schemas)
        shared = WriteState()
        order = write_order(plan.parts)
        staged: list[tuple[WriteContext, SetPart, bool, Table]] = []
        for part, deletes in order:  # every live row locked and compared before anything is written
            if progress:
                progress(f"staging {part.table}", len(staged), len(order))
            ctx = write_context(cat, part.table, part.convention, meta, now, shared)
            if part.quick is not None:
                staged.append((ctx, part, deletes, marked(_stage_quick(ctx, part, part.quick), part, deletes)))
                continue
            rows = [r for r in part.rows if (r.action == "delete") == deletes and isinstance(r, SetRow)]
            staged.append((ctx, part, deletes, marked(_stage(ctx, part, rows, deletes), part, deletes)))
        for n, (ctx, part, deletes, stage) in enumerate(staged):
            if progress:
                progress(f"{'deleting' if deletes else 'writing'} {part.table}", n, len(staged))
            writer = conventions.get(part.convention).write_bulk()
            for step in (writer.delete_steps(ctx, stage) if deletes else writer.steps(ctx, stage, part.columns)):
                conn.execute(step.statement)
            stage.drop(conn)
        before_commit(ws.config.hooks, lambda: _hook_doc(plan, now))
    return after_commit(ws.config.hooks, lambda: _hook_doc(plan, now))


def marked(stage: Table, part: SetPart, deletes: bool) -> Table:
    """Note on ``stage`` that the revert writes joined objects whole, and whether its rows are all ancestor rows of
    objects other parts write (``bulk.OBJECTS``)."""
    rows = [r for r in part.rows if (r.action == "delete") == deletes]
    return mark_objects(stage, bool(rows) and all(r.member for r in rows))


def _stage(ctx: WriteContext, part: SetPart, rows: list[SetRow], deletes: bool) -> Table:
    """Stage ``rows`` and lock their live rows; refuse if any changed since the plan."""
    columns = () if deletes else part.columns
    names = list(ctx.live.columns.keys())
    seen = {r.key: None if r.current is None else tuple(map(r.current.get, names)) for r in rows}
    was = staging.comparable(ctx) and not deletes
    blank = (None,) * len(names)
    staged = [(*r.key, *((r.new or {})[c] for c in columns), r.current is None,
               *((seen[r.key] or blank) if was else ())) for r in rows]
    stage = staging.stage(ctx, columns, staged, was=was)
    _unchanged(part, _gone(ctx, stage, rows) if deletes else staging.changed(ctx, stage, seen))
    return stage


def _stage_quick(ctx: WriteContext, part: SetPart, quick: Quick) -> Table:
    """Stage the rows planned in SQL (``undo_plan.stage``: one INSERT ... SELECT locking the live rows) and refuse if
    any changed since the plan (its fingerprint differs, or it is no longer a quick restore)."""
    writer = conventions.get(part.convention).write_bulk()
    u = undo_plan.undone(writer, ctx, quick.group, writer.bookkeeping(ctx))
    if u is None:
        raise Refused(f"{part.table}: the change set's versions can no longer be read set-based")
    stage = staging.empty(ctx, part.columns, seen=True)
    staged = undo_plan.stage(u, stage)
    if staged != quick.seen:
        _unchanged(part, [k for k in quick.keys if staged.get(k) != quick.seen[k]]
                   + [k for k in staged if k not in quick.seen])
    return stage


def _unchanged(part: SetPart, changed: Sequence[tuple[Any, ...]]) -> None:
    """Refuse the write when rows of ``part`` changed since the plan."""
    if changed:
        shown = ", ".join(",".join(str(v) for v in k) for k in changed[:5])
        raise Refused(f"{len(changed)} rows of {part.table} changed since the plan was made ({shown}): nothing "
                      "written", hint="run the revert again")


def _gone(ctx: WriteContext, stage: Table, rows: list[SetRow]) -> list[tuple[Any, ...]]:
    """Lock the live rows to delete and return the keys whose row changed (or went) since the plan."""
    names = list(ctx.live.columns.keys())
    found = locked_rows(ctx, stage)
    out = []
    for r in rows:
        now = found.get(r.key)
        if now is None or any(c in (r.current or {}) and not same(r.current[c], v)  # type: ignore[index]
                              for c, v in zip(names, now, strict=True)):
            out.append(r.key)
    return out


def _hook_doc(plan: SetRevert, now: datetime) -> str:
    doc = plan.to_json(rows=False)
    doc["applied_at"] = now.isoformat()
    return json.dumps(doc, ensure_ascii=False)
