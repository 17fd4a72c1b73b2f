"""Continuum joined-table inheritance: the tables of one object's hierarchy, written together.

Continuum writes, in every transaction that touches an object of a joined hierarchy (``item`` root, ``book``
child whose key is a foreign key to ``item``), one version row per table of the hierarchy, each with its own
bookkeeping columns (``transaction_id``, ``end_transaction_id``, ``operation_type``, ``_mod`` flags), and one
``transaction_changes`` entry with the object's class (the leaf). A write of one object therefore changes, per
table (root first; deletes leaf first): the base row with that table's own columns, the table's open version
row (closed), and a new version row (conventions 4.6 step 7).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import and_, delete, exists, insert, select, true, tuple_, update
from sqlalchemy.sql.elements import ColumnElement

from chrono_cli.conventions.builtin.continuum import SUFFIX
from chrono_cli.conventions.builtin.continuum.adapter import entity_name
from chrono_cli.conventions.builtin.continuum.options import END_COL, ContinuumOptions, data_columns, mod_columns
from chrono_cli.conventions.diffs import same
from chrono_cli.conventions.shapes.bulk import CHUNK
from chrono_cli.conventions.writes.base import Step, WriteContext
from chrono_cli.db import reflect
from chrono_cli.db.reflect import SchemaSnapshot, TableInfo
from chrono_cli.model import RowKey, TableRef
from chrono_cli.records import Struct, replace

DEPTH = 16  # hierarchy levels followed
INSERT, UPDATE, DELETE = 0, 1, 2  # operation_type


class Member(Struct, frozen=True):
    """One table of an object's joined hierarchy."""

    base: TableInfo
    version: TableInfo
    key: Mapping[str, str]  # the written table's key column -> this table's key column

    @property
    def own(self) -> list[str]:
        """This table's non-key columns."""
        return [c for c in self.base.columns if c not in self.key.values()]

    @property
    def mods(self) -> dict[str, str]:
        return {c: f for c, f in mod_columns(self.version).items() if c in self.base.columns}

    @property
    def validity(self) -> bool:
        return END_COL in self.version.columns

    def where(self, table: Any, key: RowKey) -> ColumnElement[bool]:
        """``table`` (this member's base or version table) rows of ``key``."""
        return and_(*(table.c[self.key[k]] == v for k, v in key.items))

    def values(self, key: RowKey) -> dict[str, Any]:
        return {self.key[k]: v for k, v in key.items}


def _tables(ctx: WriteContext, names: list[TableRef]) -> dict[TableRef, TableInfo]:
    """``names`` from the snapshot, else reflected once per write (the write's shared state keeps them)."""
    seen: dict[TableRef, TableInfo | None] = ctx.shared.memo("continuum:tables")
    missing = [r for r in names if r not in ctx.snapshot.tables and r not in seen]
    by_schema: dict[str | None, Collection[str] | None] = {}
    for r in missing:
        by_schema[r.schema] = [*(by_schema.get(r.schema) or ()), r.name]
    if by_schema:
        found = reflect.reflect(ctx.conn, by_schema).tables
        seen.update({r: found.get(r) for r in missing})
    return {r: t for r in names if (t := ctx.snapshot.tables.get(r) or seen.get(r)) is not None}


def _parent(ctx: WriteContext, info: TableInfo) -> tuple[TableInfo, TableInfo, dict[str, str]] | None:
    """The versioned table ``info``'s whole key refers to: (base, version table, our key col -> theirs)."""
    for fk in info.foreign_keys:
        if not info.pk or set(fk.columns) != set(info.pk):
            continue
        version = TableRef(fk.referred.schema, fk.referred.name + SUFFIX)
        found = _tables(ctx, [fk.referred, version])
        if fk.referred in found and version in found:
            return found[fk.referred], found[version], dict(zip(fk.columns, fk.referred_columns, strict=True))
    return None


def _children(ctx: WriteContext, info: TableInfo) -> list[tuple[TableInfo, TableInfo, dict[str, str]]]:
    """Versioned tables whose whole key refers to ``info``: (base, version table, their key col -> ours)."""
    memo: dict[TableRef, list[tuple[TableInfo, TableInfo, dict[str, str]]]] = ctx.shared.memo("continuum:children")
    if info.ref not in memo:
        memo[info.ref] = _find_children(ctx, info)
    return memo[info.ref]


def _find_children(ctx: WriteContext, info: TableInfo) -> list[tuple[TableInfo, TableInfo, dict[str, str]]]:
    schema = info.ref.schema
    names = ({t.ref.name for t in ctx.snapshot if t.ref.schema == schema} if ctx.snapshot.complete
             else set(reflect.table_names(ctx.conn, [schema]).get(schema, [])))
    candidates = [TableRef(schema, n) for n in sorted(names)
                  if n + SUFFIX in names and n != info.ref.name and not n.endswith(SUFFIX)]
    found = _tables(ctx, candidates + [TableRef(schema, c.name + SUFFIX) for c in candidates])
    out = []
    for ref in candidates:
        child = found.get(ref)
        fk = next((f for f in child.foreign_keys if f.referred == info.ref and child.pk
                   and set(f.columns) == set(child.pk)), None) if child else None
        if child is not None and fk is not None:
            out.append((child, found[TableRef(schema, ref.name + SUFFIX)],
                        dict(zip(fk.columns, fk.referred_columns, strict=True))))
    return out


def ancestors(ctx: WriteContext) -> list[Member]:
    """The written table's versioned ancestors and itself, root first (empty: it extends no versioned table);
    found once per write (the write's shared state keeps them)."""
    memo: dict[TableRef, list[Member]] = ctx.shared.memo("continuum:ancestors")
    if ctx.det.live not in memo:
        memo[ctx.det.live] = _find_ancestors(ctx)
    return memo[ctx.det.live]


def _find_ancestors(ctx: WriteContext) -> list[Member]:
    live = ctx.snapshot.tables[ctx.det.live]
    up: list[Member] = []
    info, mapping = live, {c: c for c in live.pk}
    for _ in range(DEPTH):
        parent = _parent(ctx, info)
        if parent is None:
            break
        base, version, link = parent
        mapping = {mine: link[theirs] for mine, theirs in mapping.items()}
        up.insert(0, Member(base, version, dict(mapping)))
        info = base
    return [*up, Member(live, ctx.store_info, {c: c for c in live.pk})] if up else []


def is_joined(ctx: WriteContext) -> bool:
    """Whether the written table belongs to a joined-inheritance hierarchy (as a child or as a root)."""
    return bool(ancestors(ctx)) or bool(_children(ctx, ctx.snapshot.tables[ctx.det.live]))


def hierarchy(ctx: WriteContext, key: RowKey) -> list[Member]:
    """The tables of the object ``key`` of the written table, root first (empty: not a joined hierarchy)."""
    live = ctx.snapshot.tables[ctx.det.live]
    own = Member(live, ctx.store_info, {c: c for c in live.pk})
    up = ancestors(ctx)[:-1]
    down: list[Member] = []
    info, mapping = live, {c: c for c in live.pk}
    for _ in range(DEPTH):
        below = [(b, v, m) for b, v, m in _children(ctx, info) if _has_row(ctx, b, m, mapping, key)]
        if not below:
            break
        base, version, link = below[0]
        back = {theirs: mine for mine, theirs in link.items()}
        mapping = {mine: back[theirs] for mine, theirs in mapping.items()}
        down.append(Member(base, version, dict(mapping)))
        info = base
    return up + [own] + down if up or down else []


def subclass_keys(ctx: WriteContext, keys: Sequence[tuple[Any, ...]]) -> set[tuple[Any, ...]]:
    """Those of ``keys`` (the written table's key) with a row in a table that extends it (a subclass's object)."""
    out: set[tuple[Any, ...]] = set()
    names = list(ctx.det.key)
    for base, _, link in _children(ctx, ctx.snapshot.tables[ctx.det.live]):
        back = {ours: theirs for theirs, ours in link.items()}
        if not set(names) <= set(back):
            return set(keys)  # a key column the subclass does not carry: every key counts as one of its objects
        out |= _found(ctx, base.table(), [back[c] for c in names], keys)
    return out


def subclass_tables(ctx: WriteContext, keys: Sequence[tuple[Any, ...]],
                    ) -> dict[tuple[Any, ...], tuple[TableRef, ...]] | None:
    """Those of ``keys`` (the written table's key) whose object is of a subclass (a row, live or in its version table,
    in a table extending the written one, or one extending that, ...), with the tables from the one below the written
    one down to the object's class's; None: a key in two sibling tables, or a subclass keyed under other names."""
    out: dict[tuple[Any, ...], tuple[TableRef, ...]] = {}
    names = list(ctx.det.key)
    level: list[tuple[TableInfo, tuple[TableRef, ...], Sequence[tuple[Any, ...]]]] = [
        (ctx.snapshot.tables[ctx.det.live], (), keys)]
    for _ in range(DEPTH):
        below: list[tuple[TableInfo, tuple[TableRef, ...], Sequence[tuple[Any, ...]]]] = []
        for info, chain, among in level:
            seen: set[tuple[Any, ...]] = set()
            for base, version, link in _children(ctx, info):
                if any(link.get(c) != c for c in names):
                    return None
                found = _found(ctx, base.table(), names, among) | _found(ctx, version.table(), names, among)
                if found & seen:
                    return None
                seen |= found
                out.update((k, (*chain, base.ref)) for k in found)
                below.append((base, (*chain, base.ref), sorted(found)))
        level = [b for b in below if b[2]]
        if not level:
            break
    return out


def class_at(ctx: WriteContext, key: tuple[Any, ...], chain: Sequence[TableRef], tx: int | None) -> TableRef:
    """The object's class (its deepest table) among the written table and ``chain`` (the tables below it, top
    first): at transaction ``tx`` by the version rows (a table whose newest version row up to ``tx`` is no deletion),
    or now by the live rows (``tx`` None)."""
    o = ctx.det.opts(ContinuumOptions)
    found = ctx.det.live
    tables = _tables(ctx, [*chain, *(TableRef(r.schema, r.name + SUFFIX) for r in chain)])
    for ref in chain:
        t = (tables[ref] if tx is None else tables[TableRef(ref.schema, ref.name + SUFFIX)]).table()
        where = and_(*(t.c[c] == v for c, v in zip(ctx.det.key, key, strict=True)))
        if tx is None:
            there = ctx.conn.execute(select(t.c[ctx.det.key[0]]).where(where).limit(1)).first() is not None
        else:
            op = ctx.conn.execute(select(t.c[o.operation_type_column]).where(
                where, t.c[o.transaction_column] <= tx).order_by(t.c[o.transaction_column].desc()).limit(1)).scalar()
            there = op is not None and op != DELETE
        if not there:
            break
        found = ref
    return found


def _found(ctx: WriteContext, t: Any, cols: Sequence[str], keys: Sequence[tuple[Any, ...]]) -> set[tuple[Any, ...]]:
    """Those of ``keys`` with a row in ``t`` (its key columns ``cols``), 1,000 keys a query."""
    out: set[tuple[Any, ...]] = set()
    c = [t.c[n] for n in cols]
    for i in range(0, len(keys), CHUNK):
        chunk = list(keys[i:i + CHUNK])
        where = tuple_(*c).in_(chunk) if len(c) > 1 else c[0].in_([k[0] for k in chunk])
        out |= {tuple(r) for r in ctx.conn.execute(select(*c).where(where).distinct())}
    return out


def own_class(ctx: WriteContext) -> ColumnElement[bool]:
    """The written table's version rows of objects of its own class: of a joined-inheritance root (or middle) table,
    those with no version row of a child table under the same key and transaction (such an object is of the
    child's class, the one its transactions record: ``adapter.entity_name``)."""
    v, tx = ctx.store, ctx.det.opts(ContinuumOptions).transaction_column
    out: list[ColumnElement[bool]] = []
    for _, version, link in _children(ctx, ctx.snapshot.tables[ctx.det.live]):
        cv = version.table()
        out.append(~exists().where(cv.c[tx] == v.c[tx], *(cv.c[theirs] == v.c[ours] for theirs, ours in link.items())))
    return and_(true(), *out)


def _has_row(ctx: WriteContext, base: TableInfo, link: dict[str, str], mapping: dict[str, str], key: RowKey) -> bool:
    back = {theirs: mine for mine, theirs in link.items()}
    cols = {mine: back[theirs] for mine, theirs in mapping.items()}
    t = base.table()
    where = and_(*(t.c[cols[k]] == v for k, v in key.items))
    return ctx.conn.execute(select(t.c[cols[key.items[0][0]]]).where(where).limit(1)).first() is not None


def merged_info(members: list[Member], live: TableInfo) -> TableInfo:
    """The written table as the object sees it: every column of the hierarchy up to it, its own keys/constraints
    (the foreign keys that link the hierarchy left out: the write inserts those rows itself)."""
    columns: dict[str, Any] = {}
    for m in members:
        for c in m.own:
            columns.setdefault(c, m.base.columns[c])
        if m.base.ref == live.ref:
            break
    columns = {**{c: live.columns[c] for c in live.pk}, **columns}
    links = {m.base.ref for m in members}
    fks = tuple(f for f in live.foreign_keys if f.referred not in links)
    return replace(live, columns=columns, foreign_keys=fks, _table=None, _insert=None)


def rows_of(ctx: WriteContext, members: list[Member], key: RowKey) -> dict[str, Any] | None:
    """The object's row as one dict (every member's columns, root first); None when the written table's row is
    gone."""
    out, found = _all_rows(ctx, members, key)
    return out if ctx.det.live in found else None


def joined_steps(ctx: WriteContext, key: RowKey, members: list[Member], new: Mapping[str, Any], x: Any, op: int,
                 opened: str) -> list[Step]:
    """Base rows (root first; deletes leaf first) and version rows of every member, under transaction ``x``."""
    current, _ = _all_rows(ctx, members, key)
    state = {**current, **new} if op != DELETE else current
    old = None if op == INSERT else current
    steps: list[Step] = []
    for m in members if op != DELETE else list(reversed(members)):
        t = m.base.table()
        if op == DELETE:
            steps.append(Step(delete(t).where(m.where(t, key)), f"{m.base.ref.name}: base row deleted", expect=1))
        elif op == INSERT:  # a column the history does not record is left out: its default applies, as to any INSERT
            steps.append(Step(insert(m.base.insert_table()).values(
                {**m.values(key), **{c: state[c] for c in m.own if c in state}}),
                f"{m.base.ref.name}: base row re-created"))
        else:
            values = {c: state[c] for c in m.own if c in new and not same(current.get(c), new[c])}
            if values:
                steps.append(Step(update(t).where(m.where(t, key)).values(values),
                                  f"{m.base.ref.name}: base row", expect=1))
    if ctx.det.opts(ContinuumOptions).native:
        return steps
    o = ctx.det.opts(ContinuumOptions)
    for m in members:
        v = m.version.table()
        if m.validity:
            steps.append(Step(update(v).where(m.where(v, key), v.c[END_COL].is_(None)).values({END_COL: x}),
                              f"{m.version.ref.name}: close the open version row"))
        row: dict[str, Any] = dict(m.values(key))
        flags = set(m.mods.values())
        for c in data_columns(m.version):
            if c not in row and c not in flags:
                row[c] = state.get(c)
        row.update({o.transaction_column: x, o.operation_type_column: op})
        if m.validity:
            row[END_COL] = None
        for c, flag in m.mods.items():
            row[flag] = op != UPDATE or old is None or not same(old.get(c), state.get(c))
        steps.append(Step(insert(m.version.insert_table()).values(row),
                          f"{m.version.ref.name}: version row, operation_type {op}"))
    changes = next((t for t in ctx.snapshot if str(t.ref) == o.transaction_changes), None)
    leaf = members[-1]
    name = _leaf_name(ctx, leaf)
    if changes is not None and ctx.shared.once("transaction_changes", opened, name):
        steps.append(Step(insert(changes.insert_table()).values({"transaction_id": x, "entity_name": name}),
                          f"transaction_changes: {name}"))
    return steps


def _all_rows(ctx: WriteContext, members: list[Member], key: RowKey) -> tuple[dict[str, Any], set[TableRef]]:
    """The key and every member's own columns of the rows that exist (root first), and the tables that have one."""
    out: dict[str, Any] = dict(key.as_dict())
    found: set[TableRef] = set()
    for m in members:
        t = m.base.table()
        row = ctx.conn.execute(select(t).where(m.where(t, key))).mappings().first()
        if row is not None:
            found.add(m.base.ref)
            for c in m.own:
                out.setdefault(c, row[c])
    return out, found


def _leaf_name(ctx: WriteContext, leaf: Member) -> str:
    """The object's class name for ``transaction_changes``: the leaf table's, as existing rows record it."""
    det = replace(ctx.det, live=leaf.base.ref, store=leaf.version.ref,
                  options=replace(ctx.det.opts(ContinuumOptions), entity_name_guess=None))
    tables = {**ctx.snapshot.tables, leaf.base.ref: leaf.base, leaf.version.ref: leaf.version}
    snapshot = SchemaSnapshot(ctx.snapshot.dialect, ctx.snapshot.default_schema, tables, complete=False)
    return entity_name(ctx.conn, snapshot, det, own_class(replace(ctx, det=det, snapshot=snapshot)))


__all__ = ["Member", "ancestors", "class_at", "hierarchy", "is_joined", "joined_steps", "merged_info", "own_class",
           "rows_of", "subclass_keys", "subclass_tables"]
