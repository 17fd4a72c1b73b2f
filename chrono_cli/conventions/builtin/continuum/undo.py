"""What one Continuum transaction did to each key of a table, for a set-based ``chrono revert``
(``BulkWriter.undo`` and ``undo_query``): the transaction's version row of each key, the newest older one and
whether a newer one exists.

A record with versioned associations (``article`` with ``article_tag_version``) has a timeline of more than its
version rows: a transaction that changed only its links is an entry of its own (conventions 4.2), which the
row-by-row revert sees as a later change, or, before the record's first version row, as the state before it. Such
keys are answered from the association version rows too: a link row after the transaction marks the key changed
later (its timeline is then read, as for any later change, and its conflicts are the row-by-row ones); a link row
before a transaction that has no version row before it leaves the key to the row-by-row code (``op`` None). An
association table's own keys (``is_link``) are answered like any table's: they have no restored columns.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, or_, select, tuple_
from sqlalchemy.sql import Select

from chrono_cli.conventions.builtin.continuum.options import ContinuumOptions
from chrono_cli.conventions.shapes.bulk import MADE, UNDO_BEFORE, UNDO_LATER, UNDO_MADE, UNDO_OP, Undo
from chrono_cli.conventions.writes.base import WriteContext, find_info

Key = tuple[Any, ...]


def _links(ctx: WriteContext) -> list[tuple[Any, list[Any]]] | None:
    """Each association version table of the written table with its columns of the parent's key (in key order);
    None when one is missing from the schema (its keys cannot be answered for)."""
    out = []
    for a in ctx.det.opts(ContinuumOptions).associations:
        info = find_info(ctx, a.version_table)
        if info is None:
            return None
        av = info.table()
        by_parent = {p: c for c, p in a.parent_columns.items()}
        out.append((av, [av.c[by_parent[k]] for k in ctx.det.key]))
    return out


def _link_keys(ctx: WriteContext, group: int, newer: bool) -> set[Key] | None:
    """The keys transaction ``group`` changed that have an association version row after it (``newer``) or before
    it."""
    links = _links(ctx)
    if links is None:
        return None
    o = ctx.det.opts(ContinuumOptions)
    v, names, txc = ctx.store, list(ctx.det.key), o.transaction_column
    out: set[Key] = set()
    for av, cols in links:
        when = av.c[txc] > group if newer else av.c[txc] < group
        keys = select(*(v.c[c] for c in names)).where(v.c[txc] == group)
        ref = tuple_(*cols) if len(cols) > 1 else cols[0]
        out |= {tuple(r) for r in ctx.conn.execute(select(*cols).where(when, ref.in_(keys)).distinct())}
    return out


def undo(ctx: WriteContext, columns: list[str], group: int) -> dict[Key, Undo] | None:
    """Transaction ``group``'s version row of each key with its live row, the newest older version row and whether a
    newer one exists (three queries; with associations, two per association table more)."""
    o = ctx.det.opts(ContinuumOptions)
    v, live, names = ctx.store, ctx.live, list(ctx.det.key)
    txc, opc = o.transaction_column, o.operation_type_column
    width, at, lnames = len(names), len(names) + 1 + len(columns), list(live.columns.keys())
    made = v.alias("made")
    keys = [v.c[c] for c in names]
    mine = (tuple_(*keys) if width > 1 else keys[0]).in_(select(*(made.c[c] for c in names))
                                                         .where(made.c[txc] == group))
    made_by: dict[Key, tuple[int | None, dict[str, Any] | None, dict[str, Any] | None]] = {}
    query = (select(*keys, v.c[opc], *(v.c[c] for c in columns), live.c[names[0]].is_not(None), *live.columns)
             .select_from(v.outerjoin(live, and_(*(live.c[c] == v.c[c] for c in names))))
             .where(v.c[txc] == group))
    for row in ctx.conn.execute(query):  # plain tuples: cheap for 100,000 rows
        op = row[width]
        made_by[tuple(row[:width])] = (op, None if op == 2 else dict(zip(columns, row[width + 1:at], strict=True)),
                                       dict(zip(lnames, row[at + 1:], strict=True)) if row[at] else None)
    newer = v.alias("newer")
    query = select(*keys, v.c[opc], *(v.c[c] for c in columns)).where(v.c[txc] < group, mine, ~exists().where(
        and_(*(newer.c[c] == v.c[c] for c in names)), newer.c[txc] > v.c[txc], newer.c[txc] < group))
    before = {tuple(row[:width]): None if row[width] == 2 else dict(zip(columns, row[width + 1:], strict=True))
              for row in ctx.conn.execute(query)}
    later = {tuple(row) for row in ctx.conn.execute(select(*keys).where(v.c[txc] > group, mine).distinct())}
    if o.associations:
        after, earlier = _link_keys(ctx, group, True), _link_keys(ctx, group, False)
        if after is None or earlier is None:
            return None
        later |= after
        # links before the record's first version row: the row-by-row timeline starts with them
        made_by.update({k: (None, m, c) for k, (_, m, c) in made_by.items() if k in earlier and k not in before})
    return {key: Undo(op, made, before.get(key), key in before and before[key] is None, key in later, current)
            for key, (op, made, current) in made_by.items()}


def undo_query(ctx: WriteContext, columns: list[str], group: int) -> Select[Any] | None:
    """``undo`` in one SELECT: transaction ``group``'s version row of each key, outer-joined with the key's newest
    older version row, and whether a newer one exists (a version row, or an association version row)."""
    o = ctx.det.opts(ContinuumOptions)
    links = _links(ctx)
    if links is None:
        return None
    v, names, txc, opc = ctx.store, list(ctx.det.key), o.transaction_column, o.operation_type_column
    before, newer, after = v.alias("chrono_before"), v.alias("chrono_newer"), v.alias("chrono_after")
    newest = ~exists().where(and_(*(newer.c[c] == before.c[c] for c in names)), newer.c[txc] > before.c[txc],
                             newer.c[txc] < group)
    later = select(*(after.c[c] for c in names)).where(after.c[txc] > group).distinct().subquery("chrono_later")
    linked = [exists().where(av.c[txc] > group, *(col == v.c[c] for col, c in zip(cols, names, strict=True)))
              for av, cols in links]
    return (select(*(v.c[c] for c in names), v.c[opc].label(UNDO_OP),
                   or_(later.c[names[0]].is_not(None), *linked).label(UNDO_LATER), before.c[opc].label(UNDO_BEFORE),
                   (v.c[opc] != 2).label(UNDO_MADE), *(before.c[c].label(c) for c in columns),
                   *(v.c[c].label(f"{MADE}{n}") for n, c in enumerate(columns)))
            .select_from(v.outerjoin(before, and_(*(before.c[c] == v.c[c] for c in names),
                                                  before.c[txc] < group, newest))
                         .outerjoin(later, and_(*(later.c[c] == v.c[c] for c in names))))
            .where(v.c[txc] == group))
