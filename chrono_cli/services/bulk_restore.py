"""``chrono restore TABLE --at T --all-changed-since S | --keys FILE``: many rows, set-based, one transaction.

Planning (read-only): the keys (changed since S, or listed in FILE), their states at T, the live rows, and per
row: restore, re-create, or skip (unchanged since T, already in that state, did not exist at T); every restored
value is checked to still fit its column. Where the convention's states are one SELECT of values stored as the
live columns store them and the keys are the changed-since ones, the database does all this (``bulk_plan``): the
plan keeps counts, one fingerprint per row and reads whole only the rows it shows. Else the states and live rows
are read and compared here. Applying: a temporary staging table is filled with the target rows (INSERT ...
SELECT locking the live rows, or the plan's rows sent in batches), the live rows are compared with the plan (any
row changed meanwhile refuses the whole restore), then the convention's set-based statements run.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from chrono_cli import conventions
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.shapes import bulk_plan, staging
from chrono_cli.conventions.shapes.bulk import CHUNK, BulkWriter, mark_objects
from chrono_cli.conventions.writes import Step, WriteContext, WriteMeta, Writer, WriteState
from chrono_cli.conventions.writes.values import fit, jsonable
from chrono_cli.db.engine import safe_url
from chrono_cli.db.write import write_transaction
from chrono_cli.errors import NothingToWrite, Refused, RowNotFound, UsageError
from chrono_cli.model import RowKey
from chrono_cli.records import Struct
from chrono_cli.services.files import read_text
from chrono_cli.services.history import refuse_degraded
from chrono_cli.services.hooks import after_commit, before_commit
from chrono_cli.services.keys import parse_key
from chrono_cli.services.plan import Plan, compiled
from chrono_cli.services.target import Target, history_detection, open_target
from chrono_cli.services.times import parse_time
from chrono_cli.services.workspace import Catalog, Workspace
from chrono_cli.services.writeset import changed_fields, default_reason, diff_doc, resolve_meta

if TYPE_CHECKING:
    from sqlalchemy import Table

    from chrono_cli.db.reflect import TableInfo

Progress = Callable[[str, int, int], None]


class BulkRow(Struct, frozen=True):
    """One row of a bulk restore: its key, live row (None: gone, re-created) and restored values."""

    key: tuple[Any, ...]
    current: Mapping[str, Any] | None
    new: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class BulkPlan:
    """What a set-based restore writes."""

    table: str
    convention: str
    history: str | None
    key: tuple[str, ...]
    columns: tuple[str, ...]
    at: datetime
    since: datetime | None
    rows: tuple[BulkRow, ...]
    skipped: Mapping[str, int]
    statements: Sequence[Mapping[str, Any]]
    created_at: datetime
    database: str
    actor: str | None = None
    reason: str | None = None
    notes: tuple[str, ...] = field(default=())
    steps: tuple[Step, ...] = field(default=(), compare=False)  # runnable statements (--sql inlines their values)
    counts: tuple[int, int] | None = None  # (restored, re-created) when ``rows`` lists only the first ones
    seen: Mapping[tuple[Any, ...], Any] | None = field(default=None, compare=False)  # planned in SQL: fingerprints
    kept: tuple[str, ...] = field(default=())  # restored columns no restored row changes: the UPDATE leaves them out
    # joined-inheritance objects written whole (services/bulk_joined.py): what is written, a part per table and class
    # of object (each class's root first), under one library transaction; ``rows`` then lists each object once
    parts: tuple[BulkPlan, ...] = field(default=())
    covered: bool = False  # a part whose objects' class another part records (ancestor and subclass tables)

    @property
    def recreated(self) -> int:
        return self.counts[1] if self.counts else sum(1 for r in self.rows if r.current is None)

    @property
    def size(self) -> int:
        """How many rows the restore writes (``rows`` may list only the first ones)."""
        return sum(self.counts) if self.counts else len(self.rows)

    def to_json(self, *, rows: bool | int = True) -> dict[str, Any]:
        """The plan document; ``rows``: every row's diff (True), none (False), or the first N."""
        doc: dict[str, Any] = {
            "table": self.table, "convention": self.convention, "history": self.history,
            "at": self.at.isoformat(), "since": None if self.since is None else self.since.isoformat(),
            "database": self.database, "created_at": self.created_at.isoformat(), "actor": self.actor,
            "reason": self.reason, "columns": list(self.columns), "restored": self.size - self.recreated,
            "recreated": self.recreated, "skipped": dict(self.skipped), "statements": list(self.statements),
            "notes": list(self.notes)}
        if self.parts:
            doc["tables"] = list(dict.fromkeys(p.table for p in self.parts))
        if rows is not False:
            listed = self.rows if rows is True else self.rows[:rows]
            parts = [{r.key: r for r in p.rows} for p in self.parts] or [{r.key: r for r in listed}]
            doc["rows"] = [{"key": jsonable(dict(zip(self.key, r.key, strict=True))),
                            "action": "undelete" if r.current is None else "restore",
                            "diff": diff_doc([d for part in parts if r.key in part  # an object: every table's
                                              for d in changed_fields(part[r.key].current, part[r.key].new)])}
                           for r in listed]
        return doc


def plan_bulk_restore(ws: Workspace, table: str, *, at: str, since: str | None = None, keys_file: str | None = None,
                      only: tuple[str, ...] | None = None, actor: str | None = None, reason: str | None = None,
                      convention: str | None = None, listed: int | None = None,
                      progress: Progress | None = None) -> BulkPlan | Plan:
    """Plan restoring every row changed since ``since`` (or listed in ``keys_file``) to its state at ``at``;
    ``listed``: read whole only the first N rows (a plan planned in SQL; None: every row). A table whose rows are
    parts of objects written whole (joined inheritance) gets a plan of a part per table of the hierarchy
    (bulk_joined.py), or where that cannot write what a single restore writes, a row-by-row plan of its objects
    (bulk_objects.py), ``progress`` hearing of each."""
    if (since is None) == (keys_file is None):
        raise UsageError("give --all-changed-since TIME or --keys FILE")
    now = datetime.now(UTC)
    with ws.catalog() as cat:
        target = open_target(cat, table)
        det = history_detection(target, convention)
        refuse_degraded(det)
        writer = conventions.of(det).write_bulk()
        tz = cat.table_config(target.ref).timezone
        at_t = parse_time(at, tz_name=tz)
        since_t = parse_time(since, tz_name=tz) if since else None
        meta = default_reason(resolve_meta(ws.config, actor, reason), f"chrono restore: state at {at_t.isoformat()}")
        ctx = context(cat, target, det.adapter if convention is None else convention, meta, now)
        if writer.whole_objects(ctx):
            from chrono_cli.services.bulk_joined import plan_joined
            from chrono_cli.services.bulk_objects import plan_objects

            objects = writer.keys_since(ctx, since_t) if since_t else _read_keys(keys_file or "", target, ctx)
            whole = plan_joined(cat, target, writer, ctx, objects, at_t, since_t, only, meta, now, safe_url(ws.url),
                                keys_file)
            if whole is not None:
                return whole
            return plan_objects(cat, target, safe_url(ws.url), objects, at_t, only, convention, meta, now, progress)
        writer.check(ctx)
        columns = _columns(writer, ctx, only)
        counts: tuple[int, int] | None = None
        seen: dict[tuple[Any, ...], Any] | None = None
        absent: list[tuple[Any, ...]] = []
        if bulk_plan.usable(writer, ctx, at_t, columns) and (since_t is not None or _keys_in_sql(ctx)):
            keys = _read_keys(keys_file, target, ctx) if keys_file is not None else ()
            rows, skipped, problems, counts, seen, kept = _planned(writer, ctx, at_t, since_t, columns, only, listed,
                                                                   keys, absent)
        else:
            keys = writer.keys_since(ctx, since_t) if since_t else _read_keys(keys_file or "", target, ctx)
            rows, skipped, problems, kept = _rows(writer, ctx, keys, at_t, columns, only, since_t, absent)
        if keys_file is not None and absent:
            refuse_unknown(conventions.of(det).write(), ctx, absent, keys_file, target.ref)
        refuse_problems(problems, target.ref)
        if not (sum(counts) if counts else rows):
            what = ", ".join(f"{n} {why}" for why, n in skipped.items()) or "no rows changed"
            raise NothingToWrite(f"nothing to restore in {target.ref} ({what})")
        steps = writer.steps(ctx, staging.staging(ctx, columns, kept=kept), columns)
        notes = writer.notes(ctx) + writer.meta_notes(ctx)
        return BulkPlan(table=str(target.ref), convention=det.adapter, history=str(det.store), key=tuple(det.key),
                        columns=tuple(columns), at=at_t, since=since_t, rows=tuple(rows), skipped=dict(skipped),
                        statements=compiled(steps, cat.conn.dialect), created_at=now, database=safe_url(ws.url),
                        actor=meta.actor, reason=meta.reason, notes=tuple(notes), steps=tuple(steps), counts=counts,
                        seen=seen, kept=kept)


def apply_bulk_restore(ws: Workspace, plan: BulkPlan, progress: Progress | None = None) -> list[str]:
    """Write ``plan`` in one transaction, or refuse and write nothing; returns after-commit warnings."""
    now = datetime.now(UTC)
    meta = WriteMeta(actor=plan.actor, reason=plan.reason)
    shared = WriteState()  # the parts of joined objects share the library's transaction row
    with write_transaction(ws.engine) as conn:
        cat = Catalog(conn, ws.config, ws.settings.schemas)
        writer = conventions.get(plan.convention).write_bulk()
        for part in plan.parts or (plan,):  # joined objects: a part per table and class, each class's root first
            ctx = context(cat, open_target(cat, part.table), plan.convention, meta, now, shared)
            if part.seen is not None:
                stage = _stage_planned(writer, ctx, part)
                if progress:
                    progress("staging rows", part.size, part.size)
            else:
                stage = _stage_rows(ctx, part, progress)
            if plan.parts:
                mark_objects(stage, covered=part.covered)
            steps = writer.steps(ctx, stage, part.columns)
            for n, step in enumerate(steps, 1):
                if progress:
                    progress(step.label, n - 1, len(steps))
                conn.execute(step.statement)
            stage.drop(conn)
        before_commit(ws.config.hooks, lambda: _hook_doc(plan, now))
    return after_commit(ws.config.hooks, lambda: _hook_doc(plan, now))


def context(cat: Catalog, target: Target, convention: str, meta: WriteMeta, now: datetime,
             shared: WriteState | None = None) -> WriteContext:
    det = history_detection(target, convention)
    return WriteContext(cat.conn, target.snapshot, det, cat.table_config(target.ref), now, meta,
                        shared or WriteState())


def _columns(writer: BulkWriter, ctx: WriteContext, only: tuple[str, ...] | None) -> list[str]:
    recorded = writer.recorded(ctx)
    if not only:
        return recorded
    unknown = [c for c in only if c not in recorded]
    if unknown:
        raise UsageError(f"--only: {', '.join(unknown)} is not a restorable column of {ctx.det.live}",
                         hint=f"restorable: {', '.join(recorded)}")
    return [c for c in recorded if c in only]


SKIPPED_ABSENT = "absent then and now"
SKIPPED_LATER = "created after the time (chrono revert removes created rows)"
SKIPPED_SAME = "already in that state"
_CHECKED = 1000  # absent keys looked up one by one in the history (a keys file of typos is refused early)


def refuse_unknown(writer: Writer, ctx: WriteContext, absent: Sequence[tuple[Any, ...]], path: str,
                    table: object) -> None:
    """A key of a keys file with no live row and no history names no row: refuse rather than skip it."""
    unknown = [k for k in absent[:_CHECKED]
               if writer.history_count(ctx, RowKey(tuple(zip(ctx.det.key, k, strict=True)))) == 0]
    if unknown:
        shown = ", ".join(_text(k) for k in unknown[:5]) + (f" (and {len(unknown) - 5} more)" if len(unknown) > 5
                                                             else "")
        raise RowNotFound(f"{path} names {len(unknown)} {'key' if len(unknown) == 1 else 'keys'} with no row of "
                          f"{table} and no history: {shown}; nothing written",
                          hint="a keys file names rows that exist or existed, one KEY per line")


def _read_keys(path: str, target: Target, ctx: WriteContext) -> list[tuple[Any, ...]]:
    """Keys from FILE (``-``: stdin), one per line as KEY is written (42, or a=1,b=2); # starts a comment."""
    if path == "-" and sys.stdin is None:
        raise UsageError("cannot read keys from stdin: it is closed")
    text = read_text(path, "keys file", stdin=True)
    names = ctx.det.key
    types = {c: target.info.columns[c].type for c in names}
    keys: dict[tuple[Any, ...], None] = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            key = parse_key(line, names, types)
        except UsageError as exc:
            raise UsageError(f"{path}:{n}: {exc}") from None
        keys[tuple(v for _, v in key.items)] = None
    if not keys:
        raise UsageError(f"keys file {path} names no rows")
    return list(keys)


_SKIPPED = {bulk_plan.ABSENT_BOTH: SKIPPED_ABSENT, bulk_plan.UNCHANGED: "unchanged since the time",
            bulk_plan.CREATED_LATER: SKIPPED_LATER, bulk_plan.SAME: SKIPPED_SAME}


def _planned(writer: BulkWriter, ctx: WriteContext, at: datetime, since: datetime | None, columns: Sequence[str],
             only: tuple[str, ...] | None, listed: int | None, keys: Sequence[tuple[Any, ...]] = (),
             absent: list[tuple[Any, ...]] | None = None,
             ) -> tuple[list[BulkRow], Counter[str], list[str], tuple[int, int], dict[tuple[Any, ...], Any],
                        tuple[str, ...]]:
    """``_rows`` decided by the database: one query classifies every key changed since ``since`` (in key order
    here), or one per 1,000 listed ``keys`` (in their order; ``absent`` gets those with no row then or now), then
    only the rows listed are read whole."""
    checked = [c for c in columns if not ctx.live_info.columns[c].nullable]
    needed = required(writer, ctx, columns)
    width = len(ctx.det.key)
    skipped: Counter[str] = Counter()
    if since is not None:
        joined = bulk_plan.joined(writer, ctx, at, since, columns)
        found = bulk_plan.fetched(ctx.conn, bulk_plan.classified(joined, checked, writer.missing_is_current))
        found.sort(key=itemgetter(*range(width)))
    else:
        found = []
        for i in range(0, len(keys), CHUNK):
            joined = bulk_plan.joined_keys(writer, ctx, at, keys[i:i + CHUNK], columns)
            found += bulk_plan.fetched(ctx.conn, bulk_plan.classified(joined, checked, writer.missing_is_current))
        order = {k: n for n, k in enumerate(keys)}
        found.sort(key=lambda r: order.get(r[:width], len(order)))
        nowhere = order.keys() - {r[:width] for r in found}  # in neither table: absent then and now
        if nowhere:
            skipped[SKIPPED_ABSENT] += len(nowhere)
            if absent is not None:
                absent += [k for k in keys if k in nowhere]
    problems: list[str] = []
    seen: dict[tuple[Any, ...], Any] = {}
    recreated = 0
    changed = 0  # bit i: a restored row changes marked column i
    for row in found:
        key, kind = row[:width], row[width]
        if kind > bulk_plan.RECREATE:
            skipped[_SKIPPED[kind]] += 1
            if kind == bulk_plan.ABSENT_BOTH and absent is not None:
                absent.append(key)
            continue
        seen[key] = row[width + 1]
        if kind == bulk_plan.RESTORE:
            changed |= row[width + 2]
        if row[width + 3]:
            problems += [f"{_text(key)} {c}: NULL no longer fits (the column is NOT NULL)"
                         for c, null in zip(checked, row[width + 4:], strict=True) if null]
        if kind == bulk_plan.RECREATE:
            recreated += 1
            if only or needed:
                problems.append(uncreatable(key, only, needed))
    shown = list(seen) if listed is None else list(seen)[:listed]
    restored = len(seen) > recreated  # with none, nothing is updated: every column stays in the statement
    kept = tuple(c for i, c in enumerate(bulk_plan.marked(joined)) if restored and not changed >> i & 1)
    rows = _read_whole(writer, ctx, at, since, columns, shown, listed is None) if shown else []
    return rows, skipped, problems, (len(seen) - recreated, recreated), seen, kept


def _read_whole(writer: BulkWriter, ctx: WriteContext, at: datetime, since: datetime | None, columns: Sequence[str],
                shown: list[tuple[Any, ...]], every: bool) -> list[BulkRow]:
    """The rows ``shown`` read whole (live row and restored values): ``every`` row changed since ``since`` in one
    query, else by their keys (1,000 a query)."""
    width = len(ctx.det.key)
    names, n = list(ctx.live.columns.keys()), len(ctx.live.columns)
    at_key = names.index(ctx.det.key[0])
    if since is not None and every:
        queries = [bulk_plan.listed(bulk_plan.joined(writer, ctx, at, since, columns), None)]
    elif since is not None:
        queries = [bulk_plan.listed(bulk_plan.joined(writer, ctx, at, since, columns, few=True), shown)]
    else:
        queries = [bulk_plan.listed(bulk_plan.joined_keys(writer, ctx, at, shown[i:i + CHUNK], columns),
                                    shown[i:i + CHUNK]) for i in range(0, len(shown), CHUNK)]
    read = {}
    for query in queries:
        for row in ctx.conn.execute(query):
            live = row[width:width + n]
            read[tuple(row[:width])] = (None if live[at_key] is None else dict(zip(names, live, strict=True)),
                                        dict(zip(columns, row[width + n:], strict=True)))
    return [BulkRow(k, *read[k]) for k in shown]


def _keys_in_sql(ctx: WriteContext) -> bool:
    """Listed keys are planned by the database too, but on PostgreSQL: there the plan made in Python, staged by
    COPY, is the faster (100,000 keys: 2.8 s of CPU against 3.4 s; SQLite 2.6 s against 1.7 s, MariaDB even)."""
    return ctx.conn.dialect.name != "postgresql"


def refuse_problems(problems: Sequence[str], table: object) -> None:
    """Refuse a restore with values that no longer fit or rows that cannot be re-created (the first five said)."""
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise Refused(f"cannot restore {len(problems)} rows of {table}: " + "; ".join(problems[:5]) + more,
                      hint="leave the columns out with --only COLS")


def required(writer: BulkWriter, ctx: WriteContext, columns: Sequence[str]) -> list[str]:
    """Live columns a re-created row needs and the restore does not write: NOT NULL, no default, not recorded."""
    return [c for c, col in ctx.live_info.columns.items() if c not in columns and c not in ctx.det.key
            and c not in writer.bookkeeping(ctx) and not col.nullable and col.default is None]


def uncreatable(key: tuple[Any, ...], only: tuple[str, ...] | None, needed: Sequence[str]) -> str:
    """Why a deleted row cannot be re-created: ``--only``, or ``needed`` (``required``) columns."""
    why = "--only cannot re-create a deleted row" if only else \
        f"{', '.join(needed)} not recorded and NOT NULL without a default"
    return f"{_text(key)} is deleted and cannot be re-created: {why}"


def _rows(writer: BulkWriter, ctx: WriteContext, keys: Sequence[tuple[Any, ...]], at: datetime,
          columns: Sequence[str], only: tuple[str, ...] | None, since: datetime | None,
          absent: list[tuple[Any, ...]] | None = None,
          ) -> tuple[list[BulkRow], Counter[str], list[str], tuple[str, ...]]:
    states = writer.states(ctx, at, keys, since)
    currents = writer.live_rows(ctx, keys, since)
    info, tz = ctx.live_info, ctx.config.timezone
    needed = required(writer, ctx, columns)
    stored = writer.fits_as_stored(ctx)
    rows: list[BulkRow] = []
    skipped: Counter[str] = Counter()
    problems: list[str] = []
    changed: set[str] = set()  # columns a restored (not re-created) row changes
    for key in keys:
        current = currents.get(key)
        if key not in states and current is None:
            skipped[SKIPPED_ABSENT] += 1
            if absent is not None:
                absent.append(key)
            continue
        if key not in states and writer.missing_is_current:
            skipped[_SKIPPED[bulk_plan.UNCHANGED]] += 1
            continue
        state = states.get(key)
        if state is None:
            skipped[_SKIPPED[bulk_plan.CREATED_LATER] if current is not None
                    else SKIPPED_ABSENT] += 1
            continue
        new, differs = restored_values(key, state, current, columns, stored, info, tz, problems)
        if current is not None:
            changed.update(differs)
        if current is None and (only or needed):
            problems.append(uncreatable(key, only, needed))
        elif current is not None and not differs:
            skipped[_SKIPPED[bulk_plan.SAME]] += 1
            continue
        rows.append(BulkRow(key, current, new))
    restored = any(r.current is not None for r in rows)  # with none, every column stays in the UPDATE
    return rows, skipped, problems, tuple(c for c in columns if restored and c not in changed)


def restored_values(key: tuple[Any, ...], state: Mapping[str, Any], current: Mapping[str, Any] | None,
                    columns: Sequence[str], stored: frozenset[str], info: TableInfo, tz: str | None,
                    problems: list[str]) -> tuple[dict[str, Any], list[str]]:
    """One row's restored values (its state at the time; a column equal to the live one keeps what is stored,
    whether or not it would fit today) and the columns that differ from the live row (every one of a re-created
    row); ``problems`` hears of each value that no longer fits its column (``stored``: columns whose values fit as
    stored, ``BulkWriter.fits_as_stored``)."""
    new: dict[str, Any] = {}
    differs: list[str] = []
    for c in columns:
        value = state.get(c)
        if current is not None and c in current and same(value, current[c]):
            new[c] = current[c]
            continue
        if c in stored:  # a value of the column's own type: only NULL can have stopped fitting
            problem = None if value is not None or info.columns[c].nullable else \
                "NULL no longer fits (the column is NOT NULL)"
        else:
            value, problem = fit(value, info.columns[c], tz, dialect=info.dialect)
        if problem:
            problems.append(f"{_text(key)} {c}: {problem}")
        new[c] = value
        if current is None or not same(current.get(c), value):
            differs.append(c)
    return new, differs


def _stage_rows(ctx: WriteContext, plan: BulkPlan, progress: Progress | None) -> Table:
    """Stage the plan's rows and the live rows as it saw them, then lock and compare (``staging.changed``)."""
    total = len(plan.rows)
    names = list(ctx.live.columns.keys())
    seen = {r.key: None if r.current is None else tuple(r.current[c] for c in names) for r in plan.rows}
    was = staging.comparable(ctx)
    restored = [c for c in plan.columns if c not in plan.key]
    blank = (None,) * len(names)
    staged = [(*r.key, *(r.new[c] for c in restored), r.current is None,
               *((seen[r.key] or blank) if was else ())) for r in plan.rows]
    stage = staging.stage(ctx, plan.columns, staged, was=was, kept=plan.kept,
                          done=(lambda n: progress("staging rows", n, total)) if progress else None)
    _refuse_changed(plan, staging.changed(ctx, stage, seen))
    return stage


def _stage_planned(writer: BulkWriter, ctx: WriteContext, plan: BulkPlan) -> Table:
    """Stage the rows to write with one INSERT ... SELECT locking the live rows (``bulk_plan.stage``), then compare
    each staged row's fingerprint with the plan's: a row changed, gone, or new to the restore refuses it."""
    assert plan.seen is not None
    stage = staging.empty(ctx, plan.columns, seen=True, kept=plan.kept)
    if plan.since is not None:
        joined = bulk_plan.joined(writer, ctx, plan.at, plan.since, plan.columns)
        found = bulk_plan.stage(joined, stage, plan.recreated > 0, writer.states_after and plan.since <= plan.at)
    else:  # listed keys: the plan's rows to write, sent once (a key listed but skipped stays skipped)
        keys = staging.keyed(ctx, list(plan.seen))
        found = bulk_plan.stage(bulk_plan.joined_keys(writer, ctx, plan.at, keys, plan.columns), stage,
                                plan.recreated > 0, False)
        keys.drop(ctx.conn)
    if found != plan.seen:
        missing = object()
        changed = [k for k, seen in plan.seen.items() if found.pop(k, missing) != seen]
        _refuse_changed(plan, changed + list(found))
    return stage


def _refuse_changed(plan: BulkPlan, changed: Sequence[tuple[Any, ...]]) -> None:
    """Refuse when any row changed (or appeared) since the plan."""
    if changed:
        shown = ", ".join(_text(k) for k in changed[:5])
        raise Refused(f"{len(changed)} rows of {plan.table} changed since the plan was made ({shown}): nothing "
                      "written", hint="run the restore again")


def _text(key: tuple[Any, ...]) -> str:
    return ",".join(str(v) for v in key)


def _hook_doc(plan: BulkPlan, now: datetime) -> str:
    import json

    doc = plan.to_json(rows=False)
    doc["applied_at"] = now.isoformat()
    return json.dumps(doc, ensure_ascii=False)
