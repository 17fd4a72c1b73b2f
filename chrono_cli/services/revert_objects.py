"""Joined-inheritance objects in a set-based ``chrono revert`` (services/revert_set.py).

One object of a joined hierarchy (Continuum: ``item`` the root, ``book`` a child whose key refers to it) is a row in
each table of the hierarchy, and a change set that touched it has a version row of each. The row-by-row revert
reads each of those rows' timelines (their conflicts and skips are each row's own) but writes the object once,
through its deepest table: every table's base row (changed columns only) and one version row each, whether or not
that table's columns change, and one ``transaction_changes`` entry, the object's class.

The set-based revert keeps each table a part of its own (staged, locked and compared on that live table, written
parents first, deleted children first), which writes the same when every table of an object is written with the
same action: so an object is planned whole or not at all (the whole revert then goes row by row). Its ancestor rows
are written even where their columns do not change (their version rows), are listed under the object's own row (a
plan item of every column of the hierarchy, as the row-by-row plan lists it), and record no class of their own.
Objects whose tables the database planned (``revert_set._unquick``) are written the same way; their rows are
``QuickMember`` rows and their items read each table's states (``SetPart.ancestors``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence, Set
from typing import Any

from chrono_cli.conventions.writes.set_checks import Written
from chrono_cli.model import TableRef
from chrono_cli.records import Struct, replace
from chrono_cli.services.revert_set_plan import SetRow

Key = tuple[Any, ...]
Row = tuple[TableRef, Key]


class Table(Struct, frozen=True):
    """What finding objects needs of one table of the change set."""

    key: tuple[str, ...]  # the live key columns
    ancestors: tuple[str, ...]  # the tables every write of this one also writes, root first
    keys: Collection[Key]  # the keys the change set changed
    columns: tuple[str, ...]  # the live columns, in table order


class Objects(Struct, frozen=True):
    """The change set's joined-inheritance objects."""

    leaders: Mapping[Row, tuple[Row, ...]]  # each object's own row (its deepest table) -> its ancestor rows
    members: frozenset[Row]  # every ancestor row (written with its object)
    # each table of the set that leads objects -> the tables its objects also have rows in, root first
    hierarchies: Mapping[TableRef, tuple[TableRef, ...]] = {}

    def of(self, row: Row) -> tuple[Row, ...]:
        """Every row of the object ``row`` leads, root first (empty: it leads none)."""
        up = self.leaders.get(row)
        return () if up is None else (*up, row)


def find_objects(tables: Mapping[TableRef, Table],
                 subclass_keys: Callable[[TableRef, Sequence[Key]], Collection[Key]]) -> Objects | None:
    """The objects of the change set's tables; None when an object is not whole in it (an ancestor's row of its key
    not in the set, or the ancestor keyed under other column names, which the row-by-row revert writes apart), or
    when a row of the set is part of an object of a subclass table the set did not touch (``subclass_keys``: those
    of a table's keys with a row in a table extending it; the row-by-row revert writes such an object whole)."""
    by_name = {str(ref): ref for ref in tables}
    leaders: dict[Row, tuple[Row, ...]] = {}
    members: set[Row] = set()
    hierarchies: dict[TableRef, tuple[TableRef, ...]] = {}
    for ref, t in tables.items():
        if not t.ancestors:
            continue
        ups = [by_name.get(name) for name in t.ancestors]
        if any(u is None or tables[u].key != t.key for u in ups):
            return None
        refs = tuple(u for u in ups if u is not None)
        keys = t.keys
        if any(not _keyset(keys) <= _keyset(tables[u].keys) for u in refs):
            return None
        leaders.update({(ref, key): tuple((u, key) for u in refs) for key in keys})
        members.update((u, key) for u in refs for key in keys)
        hierarchies[ref] = refs
    for row in members & leaders.keys():  # a middle table's row: a deeper table's row leads its object
        del leaders[row]
    for ref, t in tables.items():
        keys = [k for k in t.keys if (ref, k) not in members] if members else list(t.keys)
        if keys and subclass_keys(ref, keys):
            return None
    return Objects(leaders, frozenset(members), hierarchies)


def _keyset(keys: Collection[Key]) -> Set[Key]:
    return keys.keys() if isinstance(keys, Mapping) else keys if isinstance(keys, Set) else set(keys)


def whole(objects: Objects, decided: Mapping[Row, SetRow], settled: Collection[Row]) -> bool:
    """Every object planned alike in all its tables: each row decided with one action, or each skipped."""
    for leader in objects.leaders:
        rows = objects.of(leader)
        if any(r in settled for r in rows) or len({decided[r].action if r in decided else None for r in rows}) != 1:
            return False
    return True


def writes_objects(objects: Objects, ready: Mapping[Row, tuple[SetRow, Written | None]]) -> bool:
    """Whether every row of each object can be written set-based (``ready``: each decided row and its values) and
    each object changes: one already as before is skipped by the row-by-row revert, in its own words."""
    for leader in objects.leaders:
        rows = [ready[r] for r in objects.of(leader) if r in ready]
        if rows and (any(w is None for _, w in rows)
                     or not any(r.action != "restore" or (w and w.changed) for r, w in rows)):
            return False
    return True


def merged(objects: Objects, rows: Mapping[Row, SetRow]) -> dict[Row, SetRow]:
    """The rows as the plan lists them: an object's own row with every column of its hierarchy (root first, the
    live row and the restored values), its ancestor rows marked as written with it."""
    out: dict[Row, SetRow] = {}
    for leader in objects.leaders:
        if leader not in rows:
            continue  # skipped in every table
        parts = [rows[r] for r in objects.of(leader)]
        own = rows[leader]
        current = None if own.current is None else {k: v for p in parts for k, v in (p.current or {}).items()}
        new = None if own.new is None else {k: v for p in parts for k, v in (p.new or {}).items()}
        out[leader] = replace(own, current=current, new=new)
    out.update({r: replace(rows[r], member=True) for r in objects.members if r in rows})
    return out


def column_order(tables: Mapping[TableRef, Table], ref: TableRef) -> tuple[str, ...]:
    """The columns a re-inserted row of ``ref`` lists: every table's of its hierarchy, root first."""
    by_name = {str(r): r for r in tables}
    ups = [by_name[name] for name in tables[ref].ancestors if name in by_name]
    return tuple(dict.fromkeys(c for t in (*ups, ref) for c in tables[t].columns))
