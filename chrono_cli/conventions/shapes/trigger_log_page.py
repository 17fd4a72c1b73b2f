"""A page of a trigger-written log's timeline, read by window (``ConventionAdapter.versions_page``).

Each log row is one version, and the diff-log engine (shapes/json_diff.py) puts one more before it where it
does not start from the state the row before left (an unrecorded change) or, for the first row, where it is no
INSERT (the state before the first recorded change). So a version's position is its row's place plus the number
of such rows up to it. The server finds them among all the record's rows in one query: a row whose stored old
values each equal (as stored: hstore text, JSONB value) the previous row's new ones starts from its state; the
few rows where some value differs as stored are decoded here and compared as the whole read compares them.

A TRUNCATE the log records deletes the row where it existed: such log rows join the record's rows (a
deletion each), as the whole read adds them.

The rows carry whole rows (the old row of an UPDATE or DELETE, the new row of an INSERT), so a window starting
one row early builds the same states as the whole read; where a row lacks a column (added later, or left out
for a while) the window grows to the first row or the live row, and states stay exact. A record whose key
changed spans another key's rows: it is read whole (None).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, Table, and_, case, exists, func, literal, not_, or_, select, union_all
from sqlalchemy.sql import Subquery
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.base import Detection, ReadContext
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.rows import fetch_live
from chrono_cli.conventions.shapes.json_diff import GAP, Change, Disagrees, Positions, diff_states, window_page
from chrono_cli.conventions.shapes.trigger_log import TRUNCATED, TriggerLogAdapter
from chrono_cli.conventions.types import is_json
from chrono_cli.model import Op, RowKey, Version
from chrono_cli.records import replace

UPDATE, INSERT, DELETE, CUT = 0, 1, 2, 3  # the row kinds the queries tell apart (CUT: a TRUNCATE)


def page(adapter: TriggerLogAdapter, ctx: ReadContext, det: Detection, key: RowKey, before: int | None,
         size: int) -> list[Version] | None:
    """Up to ``size`` versions before position ``before`` (None: the newest) and the one before them, oldest
    first, each ``seq`` its position in the whole timeline (the contract of ``versions_page``)."""
    store = ctx.info(det.store).table()
    if adapter.documents(store) is None or len(store.primary_key.columns) != 1:
        return None
    cond = _record_filter(adapter, ctx, det, store, key)
    if cond is None or _moved(adapter, ctx, det, store, cond, key) or _not_objects(adapter, ctx, det, store, cond):
        return None  # no log row (the live row alone), a key change, or JSON these queries cannot read: whole
    skip = set(ctx.config.unrecorded) | set(adapter.excluded(ctx, det))
    stream = _stream(adapter, ctx, det, store, cond)
    total = int(ctx.conn.execute(select(func.count()).select_from(stream)).scalar_one())
    gaps = _gaps(adapter, ctx, det, stream, [c for c in ctx.info(det.live).columns if c not in skip], skip)
    if gaps is None:
        return None
    reader = _Window(adapter, ctx, det, key, cond, stream, total, gaps, skip)
    return window_page(reader.at, reader.states, before, size, lead=1)


def _record_filter(adapter: TriggerLogAdapter, ctx: ReadContext, det: Detection, store: Table,
                   key: RowKey) -> ColumnElement[bool] | None:
    """The first of the record's filters that finds rows, as the whole read tries them (None: none does)."""
    for cond in adapter.record_filters(ctx, det, store, key):
        if ctx.conn.execute(select(exists(adapter.log_rows(ctx, det).where(cond).with_only_columns(
                literal(1))))).scalar_one():
            return cond
    return None


def _text(doc: ColumnElement[Any], name: str) -> ColumnElement[Any]:
    """``doc``'s value of ``name`` as text (JSONB ``->>``, hstore ``->``)."""
    return doc.op("->>" if is_json(doc.type) else "->")(name)


def _moved(adapter: TriggerLogAdapter, ctx: ReadContext, det: Detection, store: Table, cond: ColumnElement[bool],
           key: RowKey) -> bool:
    """Whether a row of the record changed its key (the whole read follows the other key's rows)."""
    docs = adapter.documents(store)
    assert docs is not None
    old, new = docs
    update = and_(not_(adapter.op_is(store, Op.INSERT)), not_(adapter.op_is(store, Op.DELETE)))
    moved = and_(update, or_(*(_text(old, n).is_distinct_from(_text(new, n)) for n, _ in key.items)))
    return bool(ctx.conn.execute(select(exists(adapter.log_rows(ctx, det).where(cond, moved).with_only_columns(
        literal(1))))).scalar_one())


def _not_objects(adapter: TriggerLogAdapter, ctx: ReadContext, det: Detection, store: Table,
                 cond: ColumnElement[bool]) -> bool:
    """Whether a JSONB document of the record's rows is no object (JSON text stored as a JSON string, which the
    whole read parses)."""
    docs = [d for d in adapter.documents(store) or () if is_json(d.type)]
    if not docs:
        return False  # hstore
    odd = or_(*(and_(d.is_not(None), func.jsonb_typeof(d) != "object") for d in docs))
    return bool(ctx.conn.execute(select(exists(adapter.log_rows(ctx, det).where(cond, odd).with_only_columns(
        literal(1))))).scalar_one())


def _stream(adapter: TriggerLogAdapter, ctx: ReadContext, det: Detection, store: Table,
            cond: ColumnElement[bool]) -> Subquery:
    """The record's log rows and the TRUNCATEs that deleted it (those after a row that left it existing), in log
    order, numbered from 0 (``chrono_i``), each with its kind and the previous row's kind and new values."""
    (order,) = store.primary_key.columns
    mine = adapter.log_rows(ctx, det).where(cond)
    rows = mine.add_columns(literal(False).label("chrono_cut"))
    cuts = adapter.truncates(ctx, det)
    first = mine.with_only_columns(func.min(order)).scalar_subquery()
    merged = (rows if cuts is None else union_all(rows, cuts.where(order > first).add_columns(
        literal(True).label("chrono_cut")))).subquery()
    docs = adapter.documents(merged)
    assert docs is not None
    kind = case((merged.c.chrono_cut, CUT), (adapter.op_is(merged, Op.INSERT), INSERT),
                (adapter.op_is(merged, Op.DELETE), DELETE), else_=UPDATE)
    by = merged.c[order.name]
    flagged = select(merged, kind.label("chrono_kind"), func.lag(kind).over(order_by=by).label("chrono_prev_kind"),
                     docs[0].label("chrono_old"), func.lag(docs[1]).over(order_by=by).label("chrono_prev_new"))\
        .subquery()
    by = flagged.c[order.name]
    return select(flagged, (func.row_number().over(order_by=by) - 1).label("chrono_i")).where(or_(
        flagged.c.chrono_kind != CUT, flagged.c.chrono_prev_kind.in_((UPDATE, INSERT)))).subquery()


def _gaps(adapter: TriggerLogAdapter, ctx: ReadContext, det: Detection, stream: Subquery, recorded: list[str],
          skip: set[str]) -> list[int] | None:
    """The rows (0-based, in the stream) the whole read puts an extra version before: the first row unless it
    is an INSERT, an INSERT while the row existed, and a row whose old values do not start from the state the
    previous one left. None: such a row's old values name a column the previous row does not but an older
    row does (the state it starts from depends on older rows: read whole)."""
    i, kind, prev_kind, old, prev_new = (stream.c[n] for n in ("chrono_i", "chrono_kind", "chrono_prev_kind",
                                                              "chrono_old", "chrono_prev_new"))
    each = (func.jsonb_each if is_json(old.type) else func.each)(old).table_valued("key", "value")
    has = prev_new.op("?", return_type=Boolean)(each.c.key)
    differs = exists(select(literal(1)).select_from(each).where(
        each.c.key.in_(recorded), or_(not_(has), prev_new.op("->")(each.c.key).is_distinct_from(each.c.value))))
    after_change = and_(i > 0, prev_kind.in_((UPDATE, INSERT)))
    record = kind != CUT
    found = ctx.conn.execute(select(i, kind).where(record, or_(
        and_(i == 0, kind != INSERT), and_(after_change, kind == INSERT),
        and_(after_change, kind != INSERT, differs))).order_by(i)).all()
    gaps = [int(n) for n, k in found if n == 0 or k == INSERT]
    unsure = [int(n) for n, k in found if n > 0 and k != INSERT]
    if unsure:
        wanted = sorted({*unsure, *(n - 1 for n in unsure)})
        got = {r["chrono_i"]: r for r in ctx.conn.execute(select(stream).where(i.in_(wanted))).mappings()}
        new_before: list[tuple[int, str]] = []  # columns a row starts from that the previous row does not name
        for n in unsure:
            prev, here = adapter.logged(ctx, det, [got[n - 1], got[n]], skip)
            left = {**prev.change.old, **prev.change.new}
            new_before += [(n, c) for c in here.change.old if c not in left]
            if any(c in left and not same(left[c], v) for c, v in here.change.old.items()):
                gaps.append(n)
        if new_before and _named_earlier(adapter, stream, new_before, ctx):
            return None
    return sorted(gaps)


def _named_earlier(adapter: TriggerLogAdapter, stream: Subquery, pairs: list[tuple[int, str]],
                   ctx: ReadContext) -> bool:
    """Whether a row before row n names column c, for any (n, c) of ``pairs`` (a column added to the table is
    named first by the row after it: it starts from no value of it)."""
    docs = adapter.documents(stream)
    assert docs is not None
    i = stream.c.chrono_i
    found = ctx.conn.execute(select(*(exists(select(literal(1)).select_from(stream).where(
        i < n, or_(*(d.op("?", return_type=Boolean)(c) for d in docs)))) for n, c in pairs))).one()
    return any(found)


class _Window:
    """Reads rows of the record's stream and builds their versions, positioned by the gaps found on the server."""

    def __init__(self, adapter: TriggerLogAdapter, ctx: ReadContext, det: Detection, key: RowKey,
                 cond: ColumnElement[bool], stream: Subquery, total: int, gaps: list[int], skip: set[str]) -> None:
        self.adapter, self.ctx, self.det, self.key = adapter, ctx, det, key
        self.cond, self.stream, self.total, self.skip = cond, stream, total, skip
        self.at = Positions(gaps, total)


    def states(self, lo: int, hi: int, first: int, last: int, settled: bool = False) -> list[Version]:
        """The versions rows ``lo`` to ``hi`` make (and the live row's, when ``hi`` is the last row), each ``seq``
        its position; the window grows where it would differ from the whole read at positions ``first`` to
        ``last`` (``settled``: ``hi`` is a row no value is carried back across)."""
        changes = self._changes(lo, hi)
        live_info = self.ctx.info(self.det.live)
        unseen = self._unseen(changes)
        shown = [c for c in live_info.columns if c not in self.skip and c not in unseen]
        head = changes[0]
        lacking = [(lo, c) for c in shown if c not in head.old and c not in head.new]
        if lo > 0 and lo not in self.at.gaps and head.op not in (Op.INSERT, Op.DELETE) and lacking and \
                _named_earlier(self.adapter, self.stream, lacking, self.ctx):
            return self.states(0, hi, first, last, settled)  # the first row's state carries older rows' values
        end = hi == self.total - 1
        live = fetch_live(self.ctx.conn, live_info.table(), self.key) if end else None
        built = diff_states(changes, live, shown, tuple(c for c in live_info.columns if c in self.skip or c in unseen),
                            self.key.as_dict())
        start = 1
        if lo > 0:  # the first row only set up the state the next one starts from
            built = built[2 if head.op is not Op.INSERT else 1:]
            start = self.at.pos(lo) + 1
        numbered = [replace(v, seq=start + n) for n, v in enumerate(built)]
        if not end:
            numbered = [v for v in numbered if v.seq <= self.at.pos(hi)]
            if not settled and any(v.values is not None and any(c not in v.values for c in shown)
                   for v in numbered if first <= v.seq <= last):
                return self.states(lo, self._barrier(hi), first, last, True)  # values carried back from newer rows
        if not self._agrees(numbered, lo, hi, start, end):
            if lo == 0 and end:
                raise Disagrees("the whole log's versions disagree with the gaps the server found")
            return self.states(0, self.total - 1, first, last)
        return numbered

    def _barrier(self, row: int) -> int:
        """The first row after ``row`` no value is carried back across (an unrecorded change before it, an
        INSERT, a deletion): the whole read's versions before it depend on no newer row. The last row if none."""
        i, kind = self.stream.c.chrono_i, self.stream.c.chrono_kind
        found = self.ctx.conn.execute(select(func.min(i)).where(i > row, kind.in_((INSERT, DELETE, CUT))))\
            .scalar_one()
        after = [g for g in self.at.gaps if g > row][:1]
        return min([self.total - 1, *after, *([] if found is None else [int(found)])])

    def _agrees(self, numbered: Sequence[Version], lo: int, hi: int, start: int, end: bool) -> bool:
        """Whether the window's versions fall where the server's gaps put them."""
        expected = self.at.pos(hi) - start + 1
        if not (len(numbered) == expected or end and len(numbered) == expected + 1):
            return False
        inside = self.at.gaps[bisect_right(self.at.gaps, lo):bisect_left(self.at.gaps, hi + 1)]
        return all(numbered[self.at.pos(g) - 1 - start].note == GAP for g in inside if g > 0)

    def _changes(self, lo: int, hi: int) -> list[Change]:
        """Rows ``lo`` to ``hi`` (0-based) of the stream as changes, oldest first, read from the newest end."""
        i = self.stream.c.chrono_i
        rows = self.ctx.conn.execute(select(self.stream).where(i >= lo, i <= hi).order_by(i.desc())).mappings()
        out = []
        for r in reversed(rows.all()):
            if r["chrono_cut"]:
                out.append(Change({}, {}, Op.DELETE, self.adapter.entry(r).at, note=TRUNCATED))
            else:
                out.append(self.adapter.logged(self.ctx, self.det, [r], self.skip)[0].change)
        return out

    def _unseen(self, changes: Sequence[Change]) -> set[str]:
        """Columns of the table no row of the record's log names (the whole read shows them as not recorded)."""
        seen = {c for ch in changes for c in (*ch.old, *ch.new)}
        missing = [c for c in self.ctx.info(self.det.live).columns if c not in self.skip and c not in seen]
        if not missing:
            return set()
        store = self.ctx.info(self.det.store).table()
        docs = self.adapter.documents(store)
        assert docs is not None
        mine = self.adapter.log_rows(self.ctx, self.det).where(self.cond)
        named = self.ctx.conn.execute(select(*(exists(mine.where(or_(
            *(d.op("?", return_type=Boolean)(c) for d in docs))).with_only_columns(literal(1)))
            for c in missing))).one()
        return {c for c, n in zip(missing, named, strict=True) if not n}
