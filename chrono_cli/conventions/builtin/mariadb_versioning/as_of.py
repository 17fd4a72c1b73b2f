"""The state of each key at a time in a transaction-precise table, as chrono's timeline answers it: by commit order.

MariaDB answers ``FOR SYSTEM_TIME AS OF TIMESTAMP t`` on such a table with what the last transaction committed at or
before t could see (``TRT_TRX_SEES``), not with what was committed at t. Under REPEATABLE READ, MariaDB's default, a
transaction that committed before t but after that last one began is invisible to it, and so are the rows it
changed: neither their old state (it ended) nor their new one (unseen) is in the answer, as if the row had not
existed (seen on 10.11.19 with two overlapping writers; tests/integration/test_mariadb_precise_as_of.py). It also
looks each row's two transaction ids up in ``mysql.transaction_registry`` one by one (2.9 s for 10,000 rows).

Here a key's versions are its periods in commit order (the registry's ``commit_id``; read.py orders the timeline so),
each valid from its start's commit time to its end's, with a deletion between two periods that do not chain and
after a last period that ended; the state at t is the last of them valid at t, as ``services.select.at_time`` picks
it from the timeline (a transaction the registry does not know gives no time: valid since ever / until further
notice, as the timeline shows it). One query: the periods with their commit order and the next period's start
(window functions), then the candidates ranked per key.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Numeric, Select, Table, and_, bindparam, case, func, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import TableClause

from chrono_cli.conventions.builtin.mariadb_versioning.options import REGISTRY, VersioningOptions
from chrono_cli.conventions.builtin.mariadb_versioning.systime import SystemTime, epoch, seconds

START, END, GONE = "chrono_start", "chrono_end", "chrono_gone"
OPEN = 2**64 - 1  # the end of a current row: the largest BIGINT UNSIGNED
_ORDER, _FROM, _TO, _NEXT, _NEXT_FROM, _RANK = (f"chrono_{n}" for n in ("order", "from", "to", "next", "next_from",
                                                                         "rank"))


def states_at(table: Table, opts: VersioningOptions, key: Sequence[str], columns: Sequence[str], at: datetime,
              where: ColumnElement[bool] | None = None, same: tuple[TableClause, ...] = ()) -> Select[Any]:
    """Per key of ``table`` (``read_table``) that ``where`` selects: its version valid at ``at``, as the columns
    ``key``, ``columns``, ``START`` and ``END`` (the period's raw bounds) and ``GONE`` (1: the key was deleted then,
    and the values are the state the deletion removed). A key with no version valid then (created later) is left
    out. ``same``: other Table objects of the table that ``where`` names."""
    start, end = table.c[opts.row_start], table.c[opts.row_end]
    began, ended = REGISTRY.alias("chrono_began"), REGISTRY.alias("chrono_ended")
    source = SystemTime(table, same=same, outer=((began, began.c.transaction_id == start),
                                                 (ended, ended.c.transaction_id == end)))
    keys = [table.c[c] for c in key]
    order = func.coalesce(began.c.commit_id, start)  # as read.py orders periods: unknown ids by their own value
    within = (order, start, end)
    began_at = seconds(began.c.commit_timestamp)
    periods = select(*keys, *(table.c[c] for c in columns if c not in key), start.label(START), end.label(END),
                     order.label(_ORDER), began_at.label(_FROM), seconds(ended.c.commit_timestamp).label(_TO),
                     func.lead(start).over(partition_by=keys, order_by=within).label(_NEXT),
                     func.lead(began_at).over(partition_by=keys, order_by=within).label(_NEXT_FROM),
                     ).select_from(source)
    if where is not None:
        periods = periods.where(where)
    p = periods.subquery("chrono_periods")
    t = bindparam("chrono_at", epoch(at), type_=Numeric(20, 6))
    valid = and_(or_(p.c[_FROM].is_(None), p.c[_FROM] <= t), or_(p.c[_TO].is_(None), p.c[_TO] > t))
    deleted = and_(p.c[END] != OPEN, or_(p.c[_NEXT].is_(None), p.c[_NEXT] != p.c[END]),  # ended, nothing followed
                   or_(p.c[_TO].is_(None), p.c[_TO] <= t), or_(p.c[_NEXT_FROM].is_(None), p.c[_NEXT_FROM] > t))
    gone = case((deleted, 1), else_=0)
    names = [*key, *(c for c in columns if c not in key), START, END]
    ranked = select(*(p.c[n] for n in names), gone.label(GONE), func.row_number().over(
        partition_by=[p.c[c] for c in key],
        order_by=(p.c[_ORDER].desc(), p.c[START].desc(), p.c[END].desc(), gone.desc())).label(_RANK),
    ).where(or_(valid, deleted)).subquery("chrono_candidates")
    return select(*(ranked.c[n] for n in (*names, GONE))).where(ranked.c[_RANK] == 1)
