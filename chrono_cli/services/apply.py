"""Applying a plan: one transaction, rows locked, everything re-checked after the lock, hooks around the commit.

Inside the transaction, for each item: lock the live row and its history rows (FOR UPDATE; on SQLite the whole
transaction holds the write lock), compare the live row's fingerprint and history-row count with the plan, rebuild
the write-set as of the plan's time and compare it with the planned statements (so nothing the plan did not show can
run), then rebuild it with the current time and execute it. Items are rebuilt in the plan's order, so rows that
share state (one Continuum transaction row for a whole revert) share it again. A plan may span tables (``chrono
revert``): each item names its own. The before_commit hook gets the applied plan on stdin; a failure there rolls
everything back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from chrono_cli.conventions.writes import WriteMeta, WriteState
from chrono_cli.conventions.writes.values import fingerprint
from chrono_cli.db.write import write_transaction
from chrono_cli.errors import Refused, UsageError
from chrono_cli.model import RowKey, TableRef, Timeline
from chrono_cli.records import Struct, replace
from chrono_cli.services.archive import archive_item
from chrono_cli.services.delete import delete_item
from chrono_cli.services.history import load_timeline
from chrono_cli.services.hooks import after_commit, before_commit
from chrono_cli.services.keys import parse_key
from chrono_cli.services.plan import Plan, PlanItem
from chrono_cli.services.restore import restore_item
from chrono_cli.services.target import Target, open_target
from chrono_cli.services.workspace import Catalog, Workspace
from chrono_cli.services.writeset import key_text, prepare


class Applied(Struct, frozen=True):
    """The plan as executed (its statements carry the time of the write) and any after-commit warnings."""

    plan: Plan
    warnings: tuple[str, ...] = ()


def apply_plan(ws: Workspace, plan: Plan, progress: Callable[[str, int, int], None] | None = None) -> Applied:
    """Write ``plan`` in one transaction, or refuse and write nothing; ``progress(stage, done, total)`` hears of
    each row written."""
    dialect = ws.engine.dialect.name
    if plan.dialect != dialect:
        raise UsageError(f"the plan was made for {plan.dialect}, this database is {dialect}")
    meta = WriteMeta(actor=plan.actor, reason=plan.reason)
    hooks = ws.config.hooks
    now = datetime.now(UTC)
    with write_transaction(ws.engine) as conn:
        cat = Catalog(conn, ws.config, ws.settings.schemas)
        run = _Run(cat, plan, meta, now)
        items = []
        for n, item in enumerate(plan.items):
            if progress:
                progress("writing", n, len(plan.items))
            items.append(run.apply(item))
        applied = replace(plan, created_at=now, items=tuple(items))
        before_commit(hooks, applied.dumps)
    return Applied(applied, tuple(after_commit(hooks, applied.dumps)))


class _Run:
    """One application of a plan: targets opened once, shared write state threaded through the items in order."""

    def __init__(self, cat: Catalog, plan: Plan, meta: WriteMeta, now: datetime) -> None:
        self.cat, self.plan, self.meta, self.now = cat, plan, meta, now
        self.targets: dict[str, Target] = {}
        self.planned = WriteState()                     # shared state of the rebuild as of the plan's time
        self.fresh = self.planned.sharing_lookups()     # shared state of the statements that run
        self.checking = self.planned.sharing_lookups()  # the lock and the checks before each item
        self.deleting: set[tuple[TableRef, RowKey]] | None = None
        if len({i.table or plan.table for i in plan.items}) > 1:
            self.cat.full_snapshot()  # one reflection for every table of a plan that spans several

    def target(self, item: PlanItem) -> Target:
        name = item.table or self.plan.table
        if name not in self.targets:
            self.targets[name] = open_target(self.cat, name)
        return self.targets[name]

    def apply(self, item: PlanItem) -> PlanItem:
        cat, plan, target = self.cat, self.plan, self.target(item)
        prep = prepare(cat, target, item.convention, self.meta, self.now, self.checking)
        names = prep.ctx.det.key
        if set(item.key) != set(names):
            raise UsageError(f"the plan's key {dict(item.key)} does not match the key of {target.ref} "
                             f"({', '.join(names)})")
        key = parse_key(key_text({c: item.key[c] for c in names}), names,
                        {c: target.info.columns[c].type for c in names})
        where = f"{target.ref} {key_text(key)}"
        prep.writer.lock(prep.ctx, key)
        if fingerprint(prep.writer.current_row(prep.ctx, key)) != item.expected_row:
            raise Refused(f"{where} changed since the plan was made ({plan.created_at.isoformat()}): nothing written",
                          hint="make a new plan")
        if prep.writer.history_count(prep.ctx, key) != item.expected_history:
            raise Refused(f"the history of {where} changed since the plan was made: nothing written",
                          hint="make a new plan")
        # a restore's two builds read the key's timeline once: the same transaction gives the same answer
        tl = load_timeline(cat, target, key_text(key), item.convention) if self._restoring(item) else None
        if list(self._build(target, item, key, plan.created_at, self.planned, tl).statements) \
                != list(item.statements):
            raise Refused(f"the write-set for {where} no longer matches the plan: nothing written",
                          hint="make a new plan")
        fresh = self._build(target, item, key, self.now, self.fresh, tl)
        for step in fresh.steps:
            result = cat.conn.execute(step.statement)
            if step.expect is not None and result.rowcount != step.expect:
                raise Refused(f"{where}: {step.label} changed {result.rowcount} rows instead of {step.expect}: "
                              "rolled back, nothing written")
        return fresh

    @staticmethod
    def _restoring(item: PlanItem) -> bool:
        return item.action in ("restore", "undelete") and item.target is not None and "seq" in item.target

    def _build(self, target: Target, item: PlanItem, key: RowKey, now: datetime,
               shared: WriteState, timeline: Timeline | None = None) -> PlanItem:
        cat, meta = self.cat, self.meta
        if item.action in ("archive", "unarchive"):
            return archive_item(cat, target, key, archived=item.action == "archive", convention=item.convention,
                                meta=meta, now=now, shared=shared)
        if self._restoring(item):
            assert item.target is not None
            return restore_item(cat, target, key, action=item.action, seq=int(item.target["seq"]), only=item.only,
                                convention=item.convention, meta=meta, now=now, timeline=timeline, shared=shared)
        if item.action == "delete":
            return delete_item(cat, target, key, convention=item.convention, meta=meta, now=now, shared=shared,
                               deleting=self._deletes())
        raise UsageError(f"the plan has an item chrono cannot apply (action {item.action!r})")

    def _deletes(self) -> set[tuple[TableRef, RowKey]]:
        """Every row the plan deletes (a row referenced only by rows the plan also deletes may go)."""
        if self.deleting is None:
            self.deleting = set()
            for i in self.plan.items:
                if i.action == "delete":
                    t = self.target(i)
                    names = list(i.key)
                    self.deleting.add((t.ref, parse_key(key_text(i.key), names,
                                                        {c: t.info.columns[c].type for c in names})))
        return self.deleting
