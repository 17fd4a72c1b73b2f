"""A page of a timeline whose rows are its states, read by window (``ConventionAdapter.versions_page``).

In a period store, MariaDB's system versioning and in-table versions, a key's rows in order are its states, and
a row that starts after the previous one ended adds a deletion before it. So a row's position in the whole
timeline is its row number plus the deletions up to it, however old: the server counts them with window
functions (``LAG`` of the previous row's end, a running ``SUM``) and sends only the page's rows.

The rows are read from the newest end: the page's rows and one or two before them. The store's engine builds
the versions from those rows as it builds the whole timeline; the oldest row is a first state to it (its
operation unknown without its predecessor), so its version is dropped unless it is the key's first row, and a
deletion just before the page (between two fetched rows) is built as in the whole read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.model import Op, Version
from chrono_cli.records import replace

ROW, GAP, POS, ROWS = "chrono_row", "chrono_gap", "chrono_pos", "chrono_rows"


def positioned(conn: Connection, query: Select[Any], order: Sequence[ColumnElement[Any]],
               gap: ColumnElement[bool], before: int | None, size: int, ahead: int = 0) -> list[Mapping[Any, Any]]:
    """The rows of ``query`` (one key's rows) a page of ``size`` positions before ``before`` (None: the newest)
    is built from, oldest first, each with its number in ``order`` (``chrono_row``), its position in the whole
    timeline (``chrono_pos``) and the key's row count (``chrono_rows``). ``gap``: the row follows a deletion
    (built on ``LAG(...) OVER (ORDER BY order)``).

    A row takes one position, two after a deletion: of the ``size + 3`` newest rows placed at or before
    ``before``, the oldest is placed before the page's first position (or is the key's first row). ``ahead``:
    rows placed up to that much after ``before`` too (where a state's end or operation is in the next row)."""
    numbered = query.add_columns(func.row_number().over(order_by=order).label(ROW),
                                 case((gap, 1), else_=0).label(GAP)).subquery()
    row = numbered.c[ROW]
    placed = select(numbered, (row + func.sum(numbered.c[GAP]).over(order_by=row)).label(POS),
                    func.count().over().label(ROWS)).subquery()
    page = select(placed).order_by(placed.c[ROW].desc()).limit(size + 3 + ahead)
    if before is not None:
        page = page.where(placed.c[POS] <= before + ahead)
    rows: list[Mapping[Any, Any]] = list(conn.execute(page).mappings())
    return rows[::-1]


def cut(versions: Sequence[Version], rows: Sequence[Mapping[Any, Any]], latest: bool, before: int | None,
        size: int, from_row: Callable[[Version], bool] = lambda v: v.op is not Op.DELETE) -> list[Version] | None:
    """The page in ``versions`` (the states of ``rows`` as the store's engine builds them, with the deletions
    between them, then, when ``latest``, what follows the newest row), with the state before it, each ``seq``
    its position; ``latest``: ``rows`` end with the key's newest row; ``from_row``: a version is a row's (one
    each, in order), not a deletion the rows imply.

    None when the engine and the server place a row differently (their time comparisons disagree, e.g. SQLite
    text that is no time to ``strftime``): the positions would be wrong, so the timeline is read whole."""
    first = rows[0][POS] if rows else 1
    numbered = [replace(v, seq=first + i) for i, v in enumerate(versions)]
    states = [v for v in numbered if from_row(v)]
    if any(v.seq != r[POS] for v, r in zip(states, rows, strict=False)):
        return None
    last = len(numbered) + first - 1 if latest else 0
    if before is not None:
        last = before - 1 if not latest else min(before - 1, last)
    start = max(1, last - size)
    return [v for v in numbered if start <= v.seq <= last]
