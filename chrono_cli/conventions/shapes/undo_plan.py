"""A change set's revert planned by the database, for stores whose ``BulkWriter.undo`` is one SELECT
(``BulkWriter.undo_query``), as ``bulk_plan`` plans a restore.

The undo query (per key: what the change set did, the state before it and the one it left) is joined with the
live rows, and one query tells per key whether it is a *quick* restore: the row-by-row revert would restore it to
the state before the set and nothing can stand in its way. That is: the set inserted or updated it and left it
(no later version), the live row holds exactly the state it left (its restored columns print as the same row
text), a version before the set exists and is no deletion, no NULL goes into a NOT NULL column, and no column of a
unique index or a foreign key changes (so no unique value can be taken and no parent be missing: ``set_checks``
looks only at rows that change such a column); and a restored column changes, which the query returns apart: a row
of a joined-inheritance object that changes nothing is written with its object where another of its rows changes
(``services/revert_objects.py``). Every restored column must be read from a store column of the live column's own
type and compare exactly in SQL (``bulk_plan.usable``'s test). For each quick row the query returns a fingerprint
(the live row and the state before, as one text); the write stages the same rows with one ``INSERT ... SELECT``
locking the live rows and compares the fingerprints. A key that is not quick is left to the Python planner
(``services/revert_set.py``), with the rest of its table.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Table, and_, case, false, insert, or_, select, tuple_
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Subquery

from chrono_cli.conventions.shapes.bulk import MADE, UNDO_BEFORE, UNDO_LATER, UNDO_MADE, UNDO_OP, BulkWriter
from chrono_cli.conventions.shapes.bulk_plan import fetched, row_text
from chrono_cli.conventions.shapes.staging import ABSENT, SEEN, compared, same_value
from chrono_cli.conventions.writes.base import WriteContext
from chrono_cli.conventions.writes.checks import unique_indexes
from chrono_cli.records import Struct

QUICK = "chrono_quick"


def usable(writer: BulkWriter, ctx: WriteContext) -> bool:
    """Some column is restored, and every restored column's values are read as stored in a column of the live
    column's type and compare in SQL."""
    stored, live, columns = writer.fits_as_stored(ctx), ctx.live_info.columns, writer.recorded(ctx)
    return bool(columns) and all(c in stored and compared(ctx, live[c].type) for c in columns)


class Undone(Struct, frozen=True):
    """The undo query of one change set in one table, outer-joined with the live rows."""

    undo: Subquery
    live: Table
    columns: tuple[str, ...]  # the restored columns
    guarded: tuple[str, ...]  # restored columns of a unique index or a foreign key: a quick row changes none
    ctx: WriteContext

    def same(self, c: str) -> ColumnElement[bool]:
        """The live value is the one before the set."""
        return same_value(self.live.c[c], self.undo.c[c], self.ctx.conn.dialect.name)

    def new(self) -> list[Any]:
        """The restored values: what is stored stays where the state before holds the same value."""
        return [case((self.same(c), self.live.c[c]), else_=self.undo.c[c]) for c in self.columns]

    def quick(self) -> ColumnElement[bool]:
        """The row is a quick restore (see the module), but for a restored column changing (``changes``: a row of a
        joined-inheritance object is written when another row of its object changes)."""
        u, live, dialect = self.undo, self.live, self.ctx.conn.dialect
        nullable = self.ctx.live_info.columns
        left = row_text(dialect, [live.c[c] for c in self.columns]).is_not_distinct_from(
            row_text(dialect, [u.c[f"{MADE}{n}"] for n in range(len(self.columns))]))
        return and_(live.c[self.ctx.det.key[0]].is_not(None), u.c[UNDO_OP].in_([0, 1]), u.c[UNDO_MADE],
                    ~u.c[UNDO_LATER], u.c[UNDO_BEFORE].is_not(None), u.c[UNDO_BEFORE] != 2, left,
                    *(or_(u.c[c].is_not(None), self.same(c)) for c in self.columns if not nullable[c].nullable),
                    *(self.same(c) for c in self.guarded))

    def changes(self) -> ColumnElement[bool]:
        """A restored column changes."""
        return or_(false(), *(~self.same(c) for c in self.columns))

    def fingerprint(self) -> ColumnElement[Any]:
        """The live row and the state before, as one text."""
        return row_text(self.ctx.conn.dialect, [*self.live.columns, *(self.undo.c[c] for c in self.columns)])

    def keys(self) -> list[Any]:
        return [self.undo.c[c] for c in self.ctx.det.key]

    def joined(self, inner: bool = False) -> Any:
        on = and_(*(self.live.c[c] == self.undo.c[c] for c in self.ctx.det.key))
        return self.undo.join(self.live, on) if inner else self.undo.outerjoin(self.live, on)


def undone(writer: BulkWriter, ctx: WriteContext, group: Any, skip: Collection[str]) -> Undone | None:
    """The joined sources of change set ``group``; None where the store has no undo query. ``skip``: the
    bookkeeping columns (no unique index on them is checked, as ``set_checks`` skips them)."""
    query = writer.undo_query(ctx, group)
    if query is None:
        return None
    columns = tuple(writer.recorded(ctx))
    info = ctx.live_info
    watched = {c for _, cols in unique_indexes(info, skip) for c in cols}
    watched |= {c for fk in info.foreign_keys for c in fk.columns}
    return Undone(query.subquery("chrono_undo"), ctx.live, columns, tuple(c for c in columns if c in watched), ctx)


def classified(u: Undone) -> list[tuple[Any, ...]]:
    """Per key of the set: the key, its fingerprint for a quick row (never NULL) else NULL, and whether a restored
    column changes."""
    return fetched(u.ctx.conn, select(*u.keys(), case((u.quick(), u.fingerprint()), else_=None).label(QUICK),
                                      case((u.changes(), 1), else_=0)).select_from(u.joined()))


def stage(u: Undone, table: Table) -> dict[tuple[Any, ...], Any]:
    """Fill the staging table (``staging.empty(..., seen=True)``) with the set's rows, locking their live rows (FOR
    UPDATE); returns the staged fingerprints by key (None: no longer quick; a row gone since is missing)."""
    names = list(u.ctx.det.key)
    new = dict(zip(u.columns, u.new(), strict=True))
    restored = [c for c in u.columns if c not in names]
    # every key of the set, a row no longer quick without its fingerprint: as ``classified`` (a WHERE on the quick
    # test has PostgreSQL expect a few rows and probe the indexes once per row)
    query = select(*u.keys(), *(new[c] for c in restored), false(), case((u.quick(), u.fingerprint()), else_=None)
                   ).select_from(u.joined(inner=True))
    conn = u.ctx.conn
    conn.execute(insert(table).from_select([*names, *restored, ABSENT, SEEN], query.with_for_update(of=u.live)))
    width = len(names)
    staged = select(*(table.c[c] for c in names), table.c[SEEN])
    return {r[:width]: r[width] for r in fetched(conn, staged)}


def states(u: Undone, keys: Sequence[tuple[Any, ...]] | None) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """The state each key's change set left and the state before it (the restored columns' values, one tuple
    after the other), of ``keys`` (None: every key)."""
    width, n = len(u.ctx.det.key), len(u.columns)
    query = select(*u.keys(), *(u.undo.c[f"{MADE}{i}"] for i in range(n)), *(u.undo.c[c] for c in u.columns))
    if keys is not None:
        cols = u.keys()
        query = query.where(tuple_(*cols).in_(keys) if len(cols) > 1 else cols[0].in_([k[0] for k in keys]))
    return {tuple(r[:width]): tuple(r[width:]) for r in u.ctx.conn.execute(query)}
