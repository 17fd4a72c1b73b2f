"""A page of a Flask-Potion record's timeline read by window (``ConventionAdapter.versions_page``), on PostgreSQL
and SQLite.

Potion records only PATCHes, each the changed attributes' old and new values; the diff-log engine
(shapes/json_diff.py) carries a state forwards from change to change and shows an "unrecorded change(s)" version
where a change's old value differs from the value the state before it holds: the latest new value of that
attribute since the last such gap. So a version's position depends on the gaps anywhere in the older history,
and a state's values on older changes.

One server query takes each attribute's old value in each record (``jsonb_array_elements``, ``json_each``) with
the new value the previous record naming that attribute left (``LAG`` over the attribute); where they differ as
stored (JSONB equality, SQLite's JSON values), both are decoded and compared here as the whole read compares
them, in order, so the gaps, and with them every position, are exact. The state the window starts from is each
attribute's latest new value since the last gap before it. A window whose older versions lack a column a newer
record carries back grows to the next gap (nothing is carried back across one) or to the live row.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, Subquery, and_, case, cast, exists, func, literal, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.base import Detection, ReadContext
from chrono_cli.conventions.decode import normalise_name
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.rows import fetch_live
from chrono_cli.conventions.shapes.common import as_json
from chrono_cli.conventions.shapes.json_diff import GAP, Change, Disagrees, Positions, diff_states, window_page
from chrono_cli.db.reflect import ColumnInfo
from chrono_cli.model import Op, RowKey, Version
from chrono_cli.records import replace

if TYPE_CHECKING:
    from chrono_cli.conventions.builtin.potion.adapter import PotionAdapter


def page(adapter: PotionAdapter, ctx: ReadContext, det: Detection, key: RowKey, before: int | None,
         size: int) -> list[Version] | None:
    """Up to ``size`` versions before position ``before`` (None: the newest) and the one before them, oldest
    first, each ``seq`` its position in the whole timeline; None off PostgreSQL and SQLite, or where an attribute
    does not name one column in every record (the whole read decides it record by record)."""
    if ctx.conn.dialect.name not in ("postgresql", "sqlite"):
        return None
    store = ctx.info(det.store).table()
    (_, object_id), = key.items
    mine = and_(store.c.object_type == det.live.name, store.c.object_id == object_id)
    total = int(ctx.conn.execute(select(func.count()).where(mine)).scalar_one())
    kind = func.jsonb_typeof(cast(store.c.changes, JSONB)) if ctx.conn.dialect.name == "postgresql" else \
        func.json_type(store.c.changes)
    if not total or ctx.conn.execute(select(exists().where(mine, store.c.changes.is_not(None), or_(
            kind.is_(None), kind != "array")))).scalar_one():
        return None  # nothing recorded, or changes the whole read parses that are no JSON array (JSON text in one)
    items = _items(ctx, det, mine)
    columns = _columns(ctx, det, items)
    if columns is None:
        return None
    reader = _Reader(adapter, ctx, det, key, items, columns, total)
    return window_page(reader.at, reader.states, before, size)


def _items(ctx: ReadContext, det: Detection, mine: Any) -> Subquery:
    """Each changed attribute of each of the record's history_records (``i``: the record's place, 0-based, in
    ``updated_at, id`` order): the item (``{attribute, old, new}``), its old and new values as the database
    compares them, whether one is a ``$ref`` link, and the item and place of the previous record naming the same
    attribute."""
    store = ctx.info(det.store).table()
    order = (func.row_number().over(order_by=(store.c.updated_at, store.c.id)) - 1).label("i")
    attr: ColumnElement[Any]
    old: ColumnElement[Any]
    new: ColumnElement[Any]
    refs: list[ColumnElement[bool]]
    source: Any
    if ctx.conn.dialect.name == "postgresql":
        doc = cast(store.c.changes, JSONB)
        rows = select(store.c.id, case((func.jsonb_typeof(doc) == "array", doc), else_=cast(literal("[]"), JSONB))
                      .label("doc"), order).where(mine).subquery()
        source = func.jsonb_array_elements(rows.c.doc).table_valued("value").lateral()
        value = source.c.value
        attr, old, new = value.op("->>")("attribute"), value.op("->")("old"), value.op("->")("new")
        refs = [func.coalesce(side.op("?", return_type=Boolean)("$ref"), False) for side in (old, new)]
    else:  # SQLite: JSON text (an array, or NULL: checked by ``page``)
        rows = select(store.c.id, store.c.changes.label("doc"), order).where(mine).subquery()
        source = func.json_each(rows.c.doc).table_valued("value")
        value = source.c.value
        attr, old, new = (func.json_extract(value, f"$.{k}") for k in ("attribute", "old", "new"))
        refs = [func.json_type(value, f'$.{side}."$ref"').is_not(None) for side in ("old", "new")]
    return select(rows.c.i, attr.label("attr"), value.label("item"), old.label("old"), new.label("new"),
                  case((or_(*refs), 1), else_=0).label("ref"),
                  func.lag(value).over(partition_by=attr, order_by=rows.c.i).label("prev_item"),
                  func.lag(new).over(partition_by=attr, order_by=rows.c.i).label("prev_new"),
                  func.lag(rows.c.i).over(partition_by=attr, order_by=rows.c.i).label("prev_i"))\
        .select_from(rows.join(source, true())).subquery()


def _columns(ctx: ReadContext, det: Detection, items: Subquery) -> dict[str, ColumnInfo] | None:
    """The column each attribute of the record names, the same in every record (as ``PotionAdapter._changes``
    resolves it); None when one names another column where its values are ``$ref`` links, or two name one
    column, or one is named twice in a record."""
    columns = ctx.info(det.live).columns
    by_norm = {normalise_name(c): c for c in columns}
    found = ctx.conn.execute(select(items.c.attr, func.count(), func.count(items.c.i.distinct()),
                                    func.min(items.c.ref), func.max(items.c.ref)).group_by(items.c.attr)).all()
    out: dict[str, ColumnInfo] = {}
    for attr, n, records, all_ref, any_ref in found:
        if attr is None or n != records:
            return None
        if attr in columns:
            column: str | None = attr
        elif f"{attr}_id" in columns and any_ref:
            if not all_ref:
                return None
            column = f"{attr}_id"
        else:
            column = by_norm.get(normalise_name(attr))
        if column is not None:
            if any(c.name == column for c in out.values()):
                return None
            out[attr] = columns[column]
    return out


class _Reader:
    """The record's gaps, found once, and the versions of windows of its history_records."""

    def __init__(self, adapter: PotionAdapter, ctx: ReadContext, det: Detection, key: RowKey, items: Subquery,
                 columns: dict[str, ColumnInfo], total: int) -> None:
        self.adapter, self.ctx, self.det, self.key = adapter, ctx, det, key
        self.items, self.columns, self.total = items, columns, total
        self.skip = set(ctx.config.unrecorded)
        self.at = Positions(self._gaps(), total)

    def _value(self, attr: str, raw: Any) -> tuple[str, Any] | None:
        """An attribute's stored value as its column's (None: no column, or not recorded)."""
        from chrono_cli.conventions.builtin.potion.adapter import decode_potion

        column = self.columns.get(attr)
        if column is None or column.name in self.skip:
            return None
        return column.name, decode_potion(raw, column, self.ctx.config.timezone)

    def _gaps(self) -> list[int]:
        """The records the whole read puts a version before: the first (the state before it), and each whose
        old value of a column differs from the one the state before it holds (the latest new value since the
        previous gap)."""
        it = self.items
        found = self.ctx.conn.execute(select(it.c.i, it.c.attr, it.c.item, it.c.prev_item, it.c.prev_i).where(
            it.c.prev_i.is_not(None), it.c.old.is_distinct_from(it.c.prev_new)).order_by(it.c.i)).all()
        gaps = [0]
        for i, attr, item, prev_item, prev_i in found:
            if gaps[-1] == i or prev_i < gaps[-1]:
                continue  # already a gap, or the value was dropped at a gap since
            here, left = self._value(attr, as_json(item).get("old")), self._value(attr, as_json(prev_item).get("new"))
            if here is not None and left is not None and not same(left[1], here[1]):
                gaps.append(i)
        return gaps


    def _state_before(self, row: int) -> dict[str, Any]:
        """The state the whole read holds before record ``row``: each column's latest new value since the last
        gap before it."""
        it = self.items
        since = self.at.gaps[bisect_right(self.at.gaps, row - 1) - 1]
        latest = select(it.c.attr, it.c.item, func.row_number().over(partition_by=it.c.attr, order_by=it.c.i.desc())
                        .label("n")).where(it.c.i < row, it.c.i >= since).subquery()
        found = self.ctx.conn.execute(select(latest.c.attr, latest.c.item).where(latest.c.n == 1))
        return dict(v for attr, item in found if (v := self._value(attr, as_json(item).get("new"))) is not None)

    def states(self, lo: int, hi: int, first: int, last: int, settled: bool = False) -> list[Version]:
        """The versions records ``lo`` to ``hi`` make (and the live row's, when ``hi`` is the last), each ``seq``
        its position; the window grows where it would differ from the whole read at positions ``first`` to
        ``last`` (``settled``: ``hi`` is a gap, which nothing is carried back across)."""
        store = self.ctx.info(self.det.store).table()
        live_info = self.ctx.info(self.det.live)
        (_, object_id), = self.key.items
        found = self.ctx.conn.execute(
            select(store).where(store.c.object_type == self.det.live.name, store.c.object_id == object_id)
            .order_by(store.c.updated_at.desc(), store.c.id.desc()).offset(self.total - 1 - hi).limit(hi - lo + 1))
        tz = self.ctx.config.timezone
        changes = [self.adapter.change(r, live_info.columns, tz, self.skip) for r in reversed(found.mappings().all())]
        if lo > 0:  # the state the first record starts from, as a change setting it
            changes.insert(0, Change({}, self._state_before(lo), Op.INSERT))
        end = hi == self.total - 1
        live = fetch_live(self.ctx.conn, live_info.table(), self.key) if end else None
        shown = [c for c in live_info.columns if c not in self.skip]
        built = diff_states(changes, None if live is None else dict(live), shown,
                            tuple(c for c in live_info.columns if c in self.skip), dict(self.key.as_dict()))
        start = 1 if lo == 0 else self.at.pos(lo) - (lo in self.at.gaps)
        numbered = [replace(v, seq=start + n) for n, v in enumerate(built[1 if lo > 0 else 0:])]
        if not end:
            numbered = [v for v in numbered if v.seq <= self.at.pos(hi)]
            if not settled and any(v.values is not None and any(c not in v.values for c in shown)
                                   for v in numbered if first <= v.seq <= last):
                later = [g for g in self.at.gaps if g > hi][:1]  # values carried back from newer records
                return self.states(lo, later[0] if later else self.total - 1, first, last, True)
        self._check(numbered, lo, hi, start, end)
        return numbered

    def _check(self, numbered: list[Version], lo: int, hi: int, start: int, end: bool) -> None:
        """The window's versions fall where the gaps put them (else the gaps were found wrong: the record is read
        whole, never shown at the wrong positions)."""
        expected = self.at.pos(hi) - start + 1
        inside = [g for g in self.at.gaps if lo <= g <= hi and g > 0]
        if not (len(numbered) == expected or end and len(numbered) == expected + 1) or \
                not all(numbered[self.at.pos(g) - 1 - start].note == GAP for g in inside):
            raise Disagrees(f"{len(numbered)} versions where {expected} were expected, or gaps elsewhere")

