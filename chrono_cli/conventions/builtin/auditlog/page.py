"""A page of a django-auditlog record's timeline read by window (``ConventionAdapter.versions_page``), on
PostgreSQL and SQLite.

An entry holds only ``{field: [old, new]}``: a create every tracked field that is not NULL (the others are
NULL), an update the changed ones, a delete every field that was not NULL. The diff-log engine
(shapes/json_diff.py) carries a state forwards from entry to entry and shows an "unrecorded change(s)" version
where an entry's old value differs from what the state before it holds, so a version's position depends on the
gaps anywhere in the older entries, and a state's values on older entries.

One server query takes each field of each update with the new value the previous entry naming it left (``LAG``
over the field, ``jsonb_each`` / ``json_each``): an update all of whose old values equal those as stored, with no
create or delete between, starts from the state before it. The rest (creates and deletes among them, which name
fields by leaving them out) are decided here as the whole read decides them, in order, from the state before
them: each field's latest new value since the last create, deletion or gap (read on the server), so every gap,
and with it every position, is exact. The window starts from that state too, and grows to the next create,
deletion or gap (nothing is carried back across one) or to the live row where newer entries carry a value back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    String,
    Subquery,
    and_,
    cast,
    exists,
    func,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnClause, ColumnElement

from chrono_cli.conventions.base import Detection, ReadContext
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.django_models import field_column
from chrono_cli.conventions.rows import fetch_live
from chrono_cli.conventions.shapes.common import as_json
from chrono_cli.conventions.shapes.json_diff import GAP, Change, Disagrees, Positions, window_page
from chrono_cli.model import Op, RowKey, Version
from chrono_cli.records import replace

if TYPE_CHECKING:
    from chrono_cli.conventions.builtin.auditlog.adapter import AuditlogAdapter, Reading

INSERT, UPDATE, DELETE = 0, 1, 2  # auditlog's actions (3, an access, records no change)
MARIADB = ("mysql", "mariadb")
MAX_LIVES = 500  # creates and deletions of a record the gap query names one by one; more: read whole
# JSON_TABLE's rows of a JSON_KEYS array: one column, the key
KEYS: ColumnClause[Any] = literal_column("'$[*]' COLUMNS (field VARCHAR(255) PATH '$')")


def page(adapter: AuditlogAdapter, ctx: ReadContext, det: Detection, key: RowKey, before: int | None,
         size: int) -> list[Version] | None:
    """Up to ``size`` versions before position ``before`` (None: the newest) and the one before them, oldest
    first, each ``seq`` its position in the whole timeline; None on other databases, or where an entry keeps its
    changes only in the legacy ``changes_text``."""
    if ctx.conn.dialect.name not in ("postgresql", "sqlite", *MARIADB):
        return None
    ct = adapter.content_type(ctx, det)
    if ct is None:
        return None
    t = ctx.info(det.store).table()
    (_, pk), = key.items
    mine = and_(t.c.content_type_id == ct, t.c.object_pk == str(pk), t.c.action.in_((INSERT, UPDATE, DELETE)))
    total = int(ctx.conn.execute(select(func.count()).where(mine)).scalar_one())
    if not total or ctx.conn.execute(select(exists().where(mine, not_object(ctx, t.c.changes)))).scalar_one():
        return None
    reader = _Reader(adapter, ctx, det, key, mine, total)
    if reader.at is None:
        return None
    return window_page(reader.at, reader.states, before, size)


def not_object(ctx: ReadContext, changes: ColumnElement[Any]) -> ColumnElement[bool]:
    """Entries whose ``changes`` is no JSON object (NULL: kept in ``changes_text``; JSON text of an object stored
    as a JSON string): the whole read reads them as Python parses them, these queries would not."""
    if ctx.conn.dialect.name == "postgresql":
        kind = func.jsonb_typeof(cast(changes, JSONB))
    else:
        kind = func.upper(func.json_type(changes))
    return or_(changes.is_(None), func.coalesce(kind, "") != ("object" if ctx.conn.dialect.name == "postgresql"
                                                               else "OBJECT"))


def _fields(dialect: str, doc: ColumnElement[Any]) -> tuple[ColumnElement[Any], ColumnElement[Any],
                                                            ColumnElement[Any], ColumnElement[Any], Any]:
    """The fields of a ``changes`` object, one row each: (name, ``[old, new]``, old, new, the table function to
    join them from)."""
    source: Any
    field: ColumnElement[Any]
    value: ColumnElement[Any]
    if dialect == "postgresql":
        source = func.jsonb_each(doc).table_valued("key", "value")
        field, value = source.c.key, source.c.value
        return field, value, value.op("->")(0), value.op("->")(1), source
    if dialect in MARIADB:
        source = func.json_table(func.json_keys(doc), KEYS).table_valued("field")
        field = source.c.field
        value = func.json_extract(doc, func.concat("$.", func.json_quote(field)))
    else:
        source = func.json_each(doc).table_valued("key", "value")
        field, value = source.c.key, source.c.value
    return field, value, func.json_extract(value, "$[0]"), func.json_extract(value, "$[1]"), source


def _as_stored(ctx: ReadContext, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """A time column as the database sorts it (SQLite: its text, whatever form the writer chose)."""
    return type_coerce(column, String()) if ctx.conn.dialect.name == "sqlite" else column


def _is_pair(dialect: str, value: ColumnElement[Any]) -> ColumnElement[bool]:
    """A field's value is ``[old, new]`` (a many-to-many change is an object: no column's)."""
    if dialect == "postgresql":
        return and_(func.jsonb_typeof(value) == "array", func.jsonb_array_length(value) == 2)
    length = func.json_length if dialect in MARIADB else func.json_array_length
    return and_(func.upper(func.json_type(value)) == "ARRAY", length(value) == 2)


class _Reader:
    """The record's entries on the server: their gaps, found once, and the versions of windows of them."""

    def __init__(self, adapter: AuditlogAdapter, ctx: ReadContext, det: Detection, key: RowKey,
                 mine: ColumnElement[bool], total: int) -> None:
        self.adapter, self.ctx, self.det, self.key, self.mine, self.total = adapter, ctx, det, key, mine, total
        self.reading: Reading = adapter.reading(ctx, det, adapter.content_type(ctx, det))
        self.order = self._numbered(with_doc=False)  # light: for finding entries by place
        self.rows = self._numbered(with_doc=True)
        self.items = self._items()
        self.marked: dict[int, tuple[Any, Any]] = {}
        self.kinds = {int(i): int(k) for i, k in ctx.conn.execute(
            select(self.order.c.i, self.order.c.kind).where(self.order.c.kind != UPDATE))}
        self.at = Positions(gaps, total) if (gaps := self._gaps()) is not None else None

    def _numbered(self, with_doc: bool) -> Subquery:
        """The record's entries in ``timestamp, id`` order: their place (``i``, 0-based), id, time as stored,
        action and (``with_doc``) changes (each a JSON object: ``page`` reads no other)."""
        t = self.ctx.info(self.det.store).table()
        doc = cast(t.c.changes, JSONB) if self.ctx.conn.dialect.name == "postgresql" else t.c.changes
        return select(t.c.id, _as_stored(self.ctx, t.c.timestamp).label("ts"), t.c.action.label("kind"),
                      *([doc.label("doc")] if with_doc else []),
                      (func.row_number().over(order_by=(t.c.timestamp, t.c.id)) - 1).label("i"))\
            .where(self.mine).subquery()

    def _items(self) -> Subquery:
        """Each ``[old, new]`` field of each entry, with the new value and place of the previous entry naming it."""
        rows = self.rows
        field, pair, old, new, source = _fields(self.ctx.conn.dialect.name, rows.c.doc)
        return select(rows.c.i, rows.c.kind, field.label("field"), pair.label("pair"),
                      old.label("old"), new.label("new"),
                      func.lag(new).over(partition_by=field, order_by=rows.c.i).label("prev_new"),
                      func.lag(pair).over(partition_by=field, order_by=rows.c.i).label("prev_pair"),
                      func.lag(rows.c.i).over(partition_by=field, order_by=rows.c.i).label("prev_i"))\
            .select_from(rows.join(source, true())).where(_is_pair(self.ctx.conn.dialect.name, pair)).subquery()

    def _gaps(self) -> list[int] | None:
        """The entries the whole read puts a version before, in order: the first unless it is a create, a create
        while the row existed, an update or delete whose old values do not start from the state before it. None:
        two fields name one column (the whole read keeps the later), or the record has too many lives."""
        columns = self.reading.live.columns
        fields = self.ctx.conn.execute(select(self.items.c.field).distinct()).scalars().all()
        named = [c for f in fields if (c := field_column(f, columns)) is not None]
        if len(named) != len(set(named)) or len(self.kinds) > MAX_LIVES:
            return None
        it = self.items
        unproven = or_(it.c.prev_i.is_(None), it.c.old.is_distinct_from(it.c.prev_new),
                       *(and_(it.c.prev_i < k, it.c.i > k) for k in self.kinds))  # a create or delete between
        by_row: dict[int, list[Any]] = {}  # an update's fields that may not start from the state before it
        for row in self.ctx.conn.execute(select(it.c.i, it.c.field, it.c.pair, it.c.prev_pair, it.c.prev_i)
                                         .where(it.c.kind == UPDATE, unproven)):
            by_row.setdefault(row.i, []).append(row)
        existed = [i for i in sorted({*by_row, *self.kinds}) if i > 0 and self.kinds.get(i - 1) != DELETE]
        gaps = sorted({*([] if self.kinds.get(0) == INSERT else [0]),  # the state before the first entry
                       *(i for i in existed if self.kinds.get(i) == INSERT)})  # a create while the row existed
        checks = [i for i in existed if self.kinds.get(i) != INSERT]
        deletes = [i for i in checks if self.kinds.get(i) == DELETE]
        olds = dict(zip(deletes, (c.old for c in self.reading.changes(self.ctx, self._entries_at(deletes))),
                        strict=True))
        self._marks([0, *self.kinds, *(i + 1 for i, k in self.kinds.items() if k == DELETE), *checks])  # starts, ends
        for i in checks:  # in order: a gap moves where the states after it start
            breaks = self._delete_breaks(i, olds[i], gaps) if i in olds else self._update_breaks(i, by_row[i], gaps)
            if breaks:
                gaps = sorted([*gaps, i])
        return gaps

    def _update_breaks(self, row: int, fields: list[Any], gaps: list[int]) -> bool:
        """Whether update ``row``'s old values (of ``fields``: the others equal, as stored, the new value of the
        last entry naming them, with no create or delete between) differ from the state before it: a field's
        value there is the new one of the last entry naming it since the state started, else NULL where a create
        started it."""
        from chrono_cli.conventions.builtin.auditlog.adapter import stored_value

        since = self._since(row, gaps)
        live, tz = self.reading.live.columns, self.ctx.config.timezone
        for f in fields:
            column = field_column(f.field, live)
            if column is None or column in self.reading.skip:
                continue
            if f.prev_i is not None and f.prev_i >= since:
                before = stored_value(as_json(f.prev_pair)[1], live[column], tz)
            elif self.kinds.get(since) == INSERT and column in self.reading.tracked:
                before = None
            else:
                continue  # the state before it does not know the column
            if not same(before, stored_value(as_json(f.pair)[0], live[column], tz)):
                return True
        return False

    def _delete_breaks(self, row: int, old: dict[str, Any], gaps: list[int]) -> bool:
        """Whether deletion ``row``'s old values (NULL for the tracked fields it leaves out) differ from the state
        before it."""
        prev = self._state_before(row, gaps)
        return any(c in prev and not same(prev[c], v) for c, v in old.items())

    def _since(self, row: int, gaps: list[int]) -> int:
        """Where the state before entry ``row`` starts: the last create, gap, or entry after a deletion."""
        marks = [g for g in gaps if g < row] + [i if k == INSERT else i + 1 for i, k in self.kinds.items()
                                                if i < row]
        return max(marks, default=0)

    def _marks(self, rows: list[int]) -> dict[int, tuple[Any, Any]]:
        """The ``timestamp, id`` of entries ``rows`` (kept: the entries a state before starts at recur)."""
        missing = [r for r in rows if r not in self.marked]
        if missing:
            found = self.ctx.conn.execute(select(self.order.c.i, self.order.c.ts, self.order.c.id).where(
                self.order.c.i.in_(missing)))
            self.marked.update({int(i): (ts, id_) for i, ts, id_ in found})
        return self.marked

    def _state_before(self, row: int, gaps: list[int]) -> dict[str, Any]:
        """The state the whole read holds before entry ``row`` (of a row that existed): each column's latest new
        value since the state started (a create names the tracked fields it leaves out as NULL), read from the
        entries between the two by their ``timestamp, id`` (as stored: SQLite's text as it sorts)."""
        from chrono_cli.conventions.builtin.auditlog.adapter import stored_value

        since = self._since(row, gaps)
        bounds = self._marks([since, row])
        t = self.ctx.info(self.det.store).table()
        at = tuple_(_as_stored(self.ctx, t.c.timestamp), t.c.id)
        dialect = self.ctx.conn.dialect.name
        span = select(t.c.timestamp, t.c.id, (cast(t.c.changes, JSONB) if dialect == "postgresql" else t.c.changes)
                      .label("doc")).where(self.mine, at >= tuple_(*bounds[since]), at < tuple_(*bounds[row]))\
            .subquery()
        field, pair, _, _, source = _fields(dialect, span.c.doc)
        latest = select(field.label("field"), pair.label("pair"), func.row_number().over(
            partition_by=field, order_by=(span.c.timestamp.desc(), span.c.id.desc())).label("n"))\
            .select_from(span.join(source, true())).where(_is_pair(dialect, pair)).subquery()
        live = self.reading.live.columns
        out: dict[str, Any] = dict.fromkeys(self.reading.tracked) if self.kinds.get(since) == INSERT else {}
        for field_name, raw in self.ctx.conn.execute(select(latest.c.field, latest.c.pair).where(latest.c.n == 1)):
            column = field_column(field_name, live)
            if column is not None and column not in self.reading.skip:  # the pair as the entry holds it
                out[column] = stored_value(as_json(raw)[1], live[column], self.ctx.config.timezone)
        return out

    def _entries_at(self, rows: list[int]) -> list[Mapping[Any, Any]]:
        """Entries ``rows`` (0-based places), in order."""
        if not rows:
            return []
        t = self.ctx.info(self.det.store).table()
        ids = dict(self.ctx.conn.execute(select(self.order.c.id, self.order.c.i).where(self.order.c.i.in_(rows)))
                   .all())
        found = self.ctx.conn.execute(select(t).where(t.c.id.in_(list(ids)))).mappings().all()
        return sorted(found, key=lambda r: ids[r["id"]])

    def _entries(self, lo: int, hi: int) -> list[Mapping[Any, Any]]:
        """Entries ``lo`` to ``hi`` (0-based), oldest first, read from the newest end."""
        t = self.ctx.info(self.det.store).table()
        found = self.ctx.conn.execute(select(t).where(self.mine).order_by(t.c.timestamp.desc(), t.c.id.desc())
                                      .offset(self.total - 1 - hi).limit(hi - lo + 1))
        return list(reversed(found.mappings().all()))

    def states(self, lo: int, hi: int, first: int, last: int, settled: bool = False) -> list[Version]:
        """The versions entries ``lo`` to ``hi`` make (and the live row's, when ``hi`` is the last), each ``seq``
        its position; the window grows where it would differ from the whole read at positions ``first`` to
        ``last`` (``settled``: nothing is carried back across entry ``hi``)."""
        assert self.at is not None
        gaps = self.at.gaps
        changes = self.reading.changes(self.ctx, self._entries(lo, hi))
        head: list[Change] = []
        if lo > 0:  # the state the first entry starts from, as changes setting it (a deletion: none)
            head = [Change({}, {}, Op.DELETE)] if self.kinds.get(lo - 1) == DELETE else [
                Change({}, self._state_before(lo, gaps), Op.INSERT)]
        end = hi == self.total - 1
        live = fetch_live(self.ctx.conn, self.reading.live.table(), self.key) if end else None
        built = self.reading.states(self.ctx, self.key, head + changes, live)
        start = 1 if lo == 0 else self.at.pos(lo) - (lo in gaps)
        drop = 0 if not head else 1 if head[0].op is Op.INSERT else 2
        numbered = [replace(v, seq=start + n) for n, v in enumerate(built[drop:])]
        if not end:
            numbered = [v for v in numbered if v.seq <= self.at.pos(hi)]
            shown = [c for c in self.reading.live.columns if c not in self.reading.skip]
            if not settled and any(v.values is not None and any(c not in v.values for c in shown)
                                   for v in numbered if first <= v.seq <= last):
                later = [i for i in (*gaps, *self.kinds) if i > hi]  # values carried back from newer entries
                return self.states(lo, min(later, default=self.total - 1), first, last, True)
        expected = self.at.pos(hi) - start + 1
        if not (len(numbered) == expected or end and len(numbered) == expected + 1) or \
                not all(numbered[self.at.pos(g) - 1 - start].note == GAP for g in gaps if lo <= g <= hi and g > 0):
            raise Disagrees(f"{len(numbered)} versions where {expected} were expected, or gaps elsewhere")
        return numbered

