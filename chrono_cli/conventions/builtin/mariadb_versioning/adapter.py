"""Detection and reads of MariaDB system-versioned tables (conventions.md 6C)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.base import ConventionAdapter, Degradation, Detection, EventQuery, ReadContext
from chrono_cli.conventions.builtin.mariadb_versioning import read
from chrono_cli.conventions.builtin.mariadb_versioning.check import CHECK
from chrono_cli.conventions.builtin.mariadb_versioning.options import REGISTRY, VersioningOptions, read_table
from chrono_cli.conventions.builtin.mariadb_versioning.systime import SystemTime, epoch, seconds
from chrono_cli.conventions.diffs import field_changes
from chrono_cli.db.facts import SYSTEM_VERSIONING, SystemVersioning
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.errors import UnsupportedOperation
from chrono_cli.model import Op, RowChange, RowKey, Version


def options(info: TableInfo) -> VersioningOptions | None:
    """The table's system versioning as options (None: not system-versioned)."""
    fact = info.facts.get(SYSTEM_VERSIONING)
    if not isinstance(fact, SystemVersioning):
        return None
    if fact.implicit:
        return VersioningOptions(transaction_precise=fact.transaction_precise, partitioned=fact.partitioned,
                                 unversioned=fact.unversioned)
    return VersioningOptions(fact.row_start or "", fact.row_end or "", False, fact.transaction_precise,
                             fact.partitioned, fact.unversioned)


def evidence(opts: VersioningOptions) -> tuple[str, ...]:
    """What the catalog says, as the detection's evidence."""
    out = ["information_schema.TABLES.TABLE_TYPE = 'SYSTEM VERSIONED'"]
    if opts.implicit:
        out.append("implicit invisible ROW_START/ROW_END (in no column listing)")
    else:
        out.append(f"{opts.row_start}/{opts.row_end} GENERATED ALWAYS AS ROW START/END, PERIOD FOR SYSTEM_TIME")
    if opts.transaction_precise:
        out.append("transaction-precise (BIGINT UNSIGNED transaction ids, commit times from "
                   "mysql.transaction_registry)")
    if opts.partitioned:
        out.append("history partitioned BY SYSTEM_TIME")
    if opts.unversioned:
        out.append(f"WITHOUT SYSTEM VERSIONING (not recorded): {', '.join(opts.unversioned)}")
    return tuple(out)


NO_KEY = "no primary key and no unique key of NOT NULL columns"
NO_KEY_COST = ("chrono cannot tell one record's versions from another's, so reading or restoring a row (history, "
               "show, diff, blame, restore) is not possible and its changes are not listed; the server's history "
               "is intact (add a primary key)")


def record_key(info: TableInfo, opts: VersioningOptions) -> tuple[str, ...]:
    """A table without a primary key: its first unique key of NOT NULL columns (the server appends the row end
    column to it), else () -- a key is never guessed."""
    for columns in info.unique_sets():
        key = tuple(c for c in columns if c not in (opts.row_start, opts.row_end))
        if key and all(c in info.columns and not info.columns[c].nullable for c in key):
            return key
    return ()


class MariaDBVersioningAdapter(ConventionAdapter):
    """The server versions rows itself: one table holds current and historical rows."""

    name = "mariadb-versioning"
    title = "MariaDB system-versioned table"
    check = CHECK

    def detect(self, snapshot: SchemaSnapshot) -> Iterator[Detection]:
        for t in snapshot:
            opts = options(t)
            if opts is None:
                continue
            key = tuple(c for c in t.pk if c not in (opts.row_start, opts.row_end))  # the server appends row end
            found = evidence(opts)
            degraded: tuple[Degradation, ...] = ()
            if not key:
                key = record_key(t, opts)
                if key:
                    found += (f"no primary key: records are told apart by the unique key ({', '.join(key)}), "
                              "NOT NULL",)
                else:
                    degraded = (Degradation(f"{NO_KEY}: {NO_KEY_COST}"),)
            yield Detection(self.name, t.ref, t.ref, key, score=len(found) + 2, evidence=found, degraded=degraded,
                            options=opts)

    def versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        _keyed(det)
        return read.versions(ctx, det, key)

    def versions_page(self, ctx: ReadContext, det: Detection, key: RowKey, before: int | None,
                      size: int) -> list[Version] | None:
        _keyed(det)
        return read.page(ctx, det, key, before, size)

    def state_at(self, ctx: ReadContext, det: Detection, key: RowKey, at: datetime) -> list[Version] | None:
        return read.state_at(ctx, det, key, at)

    def history_keys(self, ctx: ReadContext, det: Detection) -> Any:
        _keyed(det)
        table = read_table(ctx.info(det.live), det.opts(VersioningOptions))
        return select(*(table.c[c] for c in det.key)).select_from(SystemTime(table)).distinct()

    def count_history(self, conn: Connection, snapshot: SchemaSnapshot, det: Detection) -> int | None:
        """Rows of past states (closed periods): every row of ``FOR SYSTEM_TIME ALL`` less the live rows."""
        info = snapshot.tables[det.live]
        table = read_table(info, det.opts(VersioningOptions))
        every = conn.execute(select(func.count()).select_from(SystemTime(table))).scalar_one()
        live = conn.execute(select(func.count()).select_from(info.table())).scalar_one()
        return int(every) - int(live)

    def events(self, ctx: ReadContext, det: Detection, query: EventQuery) -> list[RowChange]:
        _keyed(det)
        opts = det.opts(VersioningOptions)
        if query.group is not None and not opts.transaction_precise:
            return []
        table = read_table(ctx.info(det.live), opts)
        columns = read.recorded(ctx, det)
        light = read.light(ctx, det, table, or_(*self.conditions(table, opts, query))) \
            if query.light and query.match is None and not opts.transaction_precise else None
        if light is not None:  # its one query found the keys too (all of them: a revert reads the whole set)
            keys = dict.fromkeys(light)
        else:
            keys = {}
            for cond in self.conditions(table, opts, query):
                rows = ctx.conn.execute(self.changed_keys(table, opts, det.key, cond, query.limit))
                keys.update((tuple(r), None) for r in rows)
        out: list[RowChange] = []
        for raw in keys:
            key = RowKey(tuple(zip(det.key, raw, strict=True)))
            prev: Version | None = None
            for s in read.stamped(ctx, det, key) if light is None else light.get(raw, []):
                v = s.version
                if self._wanted(v, s.transaction, query):
                    changes = () if v.op is Op.DELETE else field_changes(
                        None if v.op is Op.INSERT or prev is None else prev.values, v.values, columns)
                    out.append(RowChange(det.live, key, v.op, v.valid_from, changes=changes, group=s.transaction,
                                         note=v.note))
                prev = v
        out.sort(key=lambda c: c.at or datetime.min.replace(tzinfo=UTC), reverse=True)
        return out[:query.limit]

    @staticmethod
    def changed_keys(table: Any, opts: VersioningOptions, names: Sequence[str], cond: ColumnElement[bool],
                     limit: int) -> Select[Any]:
        """The keys of the rows ``cond`` selects, newest start first: ``events`` lists their changes in this order
        (a set-based revert reads an exact set's keys by it too, undo.py)."""
        return select(*(table.c[c] for c in names)).select_from(SystemTime(table)).where(cond).order_by(
            table.c[opts.row_start].desc()).limit(limit)

    @staticmethod
    def conditions(table: Any, opts: VersioningOptions, query: EventQuery) -> list[ColumnElement[bool]]:
        """Rows that start or end (not by being current) a change in the window or transaction asked for."""
        start, end = table.c[opts.row_start], table.c[opts.row_end]
        if query.group is not None:
            return [or_(start == query.group, end == query.group)]
        if opts.transaction_precise:
            ids = select(REGISTRY.c.transaction_id).where(_window(seconds(REGISTRY.c.commit_timestamp), query))
            return [start.in_(ids), end.in_(ids)]
        now = epoch(datetime.now(UTC))
        return [_window(seconds(start), query), and_(_window(seconds(end), query), seconds(end) <= now)]

    @staticmethod
    def _wanted(v: Version, transaction: int | None, query: EventQuery) -> bool:
        if query.group is not None:
            return bool(transaction == query.group)
        at = v.valid_from
        return at is not None and (query.since is None or at >= query.since) and (
            query.until is None or at <= query.until) and (query.before is None or at < query.before)


def _keyed(det: Detection) -> None:
    """Reads of records need a key: refuse (exit 5) on a table that has none."""
    if not det.key:
        raise UnsupportedOperation(f"{det.live} has {NO_KEY}", hint=NO_KEY_COST)


def _window(when: ColumnElement[Any], query: EventQuery) -> ColumnElement[bool]:
    """The query's time bounds on epoch seconds."""
    conds: list[ColumnElement[bool]] = [when.is_not(None)]
    if query.since is not None:
        conds.append(when >= epoch(query.since))
    if query.until is not None:
        conds.append(when <= epoch(query.until))
    if query.before is not None:
        conds.append(when < epoch(query.before))
    return and_(*conds)
