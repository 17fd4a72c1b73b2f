"""Finding a change set's joined-inheritance objects (services/revert_objects.py): which row leads each object, which
rows are written with it, and when the set-based revert must refuse to plan objects (the row-by-row revert writes
them). Pure logic over the tables' keys; the database side is covered by tests/integration/test_revert_joined_set.py.
"""

from __future__ import annotations

from chrono_cli.model import TableRef
from chrono_cli.services.revert_objects import Table, find_objects

ITEM, BOOK, NOVEL = TableRef("public", "item"), TableRef("public", "book"), TableRef("public", "novel")


def _table(keys: list[int], *ancestors: TableRef) -> Table:
    return Table(("id",), tuple(str(a) for a in ancestors), {(k,): None for k in keys}, ("id",))


def _none(ref: TableRef, keys: object) -> set[tuple[int, ...]]:
    return set()


def test_a_three_level_hierarchy_is_led_by_each_objects_deepest_row() -> None:
    """item 1 is a plain item, 2 a plain book, 3 a novel: each object is led by its deepest table's row, and every
    row above it is a member; a middle table leads the objects of its own class."""
    tables = {ITEM: _table([1, 2, 3]), BOOK: _table([2, 3], ITEM), NOVEL: _table([3], ITEM, BOOK)}
    objects = find_objects(tables, _none)
    assert objects is not None
    assert dict(objects.leaders) == {(BOOK, (2,)): ((ITEM, (2,)),), (NOVEL, (3,)): ((ITEM, (3,)), (BOOK, (3,)))}
    assert objects.members == {(ITEM, (2,)), (ITEM, (3,)), (BOOK, (3,))}
    assert objects.of((NOVEL, (3,))) == ((ITEM, (3,)), (BOOK, (3,)), (NOVEL, (3,)))
    assert objects.of((ITEM, (1,))) == ()  # a plain row leads no object
    assert dict(objects.hierarchies) == {BOOK: (ITEM,), NOVEL: (ITEM, BOOK)}


def test_an_object_not_whole_in_the_set_is_refused() -> None:
    """book 4 without its item row in the set: the row-by-row revert writes that object."""
    assert find_objects({ITEM: _table([1]), BOOK: _table([1, 4], ITEM)}, _none) is None


def test_a_row_of_a_subclass_object_the_set_did_not_touch_is_refused() -> None:
    """item 5's object has a row in a subclass table the set did not touch (asked only of rows no object holds)."""
    asked: list[tuple[TableRef, list[tuple[int, ...]]]] = []

    def subclass_keys(ref: TableRef, keys: object) -> set[tuple[int, ...]]:
        asked.append((ref, list(keys)))  # type: ignore[call-overload]
        return {(5,)} if ref == ITEM else set()

    assert find_objects({ITEM: _table([2, 5]), BOOK: _table([2], ITEM)}, subclass_keys) is None
    assert asked[0] == (ITEM, [(5,)])


def test_an_ancestor_keyed_under_other_columns_is_refused() -> None:
    tables = {ITEM: Table(("item_id",), (), {(1,): None}, ("item_id",)), BOOK: _table([1], ITEM)}
    assert find_objects(tables, _none) is None
