"""What a set-based revert reads from timelines (shapes/timeline_bulk.py) where a key's answer is not exact: the
whole revert goes row by row (Chrononaut 0.4, Flask-Potion: ``undo`` None), or that record alone (the Django
stores: ``op`` None). The integration suites revert only stories every key of which is answered exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from chrono_cli.conventions.builtin.auditlog.bulk import AuditlogBulk
from chrono_cli.conventions.builtin.chrononaut_activity.bulk import ChrononautActivityBulk
from chrono_cli.conventions.builtin.pghistory.bulk import PghistoryBulk
from chrono_cli.conventions.builtin.potion.bulk import PotionBulk
from chrono_cli.conventions.builtin.reversion.bulk import ReversionBulk
from chrono_cli.conventions.shapes.bulk import Span, Undo
from chrono_cli.conventions.shapes.timeline_bulk import Fallback, TimelineChunks, Timelines
from chrono_cli.model import Op, Version

T1, T2, T3, T4 = (datetime(2024, 1, d, tzinfo=UTC) for d in (1, 2, 3, 4))
CTX: Any = SimpleNamespace(det=SimpleNamespace(key=("id",)), config=SimpleNamespace(unrecorded=()))
LIVE = {"id": 1, "name": "c", "price": 9}
CREATED = Version({"id": 1, "name": "a", "price": 1}, Op.INSERT, valid_from=T1)
CHANGED = Version({"id": 1, "name": "b", "price": 2}, Op.UPDATE, valid_from=T2)


class _Stub:
    def __init__(self, timelines: dict[tuple[Any, ...], Any]) -> None:
        self.read = timelines

    def recorded(self, ctx: Any) -> list[str]:
        return ["name", "price"]

    def bookkeeping(self, ctx: Any) -> frozenset[str]:
        return frozenset()

    def timelines(self, ctx: Any, keys: Any) -> dict[tuple[Any, ...], Any]:
        return {k: self.read[k] for k in keys if k in self.read}

    def changed_since(self, ctx: Any, since: Any) -> Any:
        raise NotImplementedError

    def steps(self, ctx: Any, stage: Any, columns: Any) -> Any:
        raise NotImplementedError


class Whole(_Stub, TimelineChunks):
    """Chrononaut 0.4's and Flask-Potion's answers."""


class PerRow(_Stub, Timelines):
    """The Django stores' answers."""


def undo(kind: type[_Stub], *versions: Version, current: dict[str, Any] | None = LIVE, at: datetime = T2,
         more: dict[tuple[Any, ...], Any] | None = None) -> dict[tuple[Any, ...], Undo] | None:
    """The undo of the set changing key 1 at ``at`` (and the keys of ``more`` at T2)."""
    timelines = {(1,): (list(versions), current), **(more or {})}
    return kind(timelines).undo(CTX, Span({k: [at if k == (1,) else T2] for k in timelines}))  # type: ignore[abstract]


def test_each_store_declares_its_fallback() -> None:
    for writer in (ChrononautActivityBulk, PotionBulk):
        assert (writer.fallback, writer.keeps_live) == (Fallback.REVERT, True), writer
    for writer in (ReversionBulk, AuditlogBulk, PghistoryBulk):
        assert (writer.fallback, writer.keeps_live) == (Fallback.ROW, False), writer


@pytest.mark.parametrize("kind", [Whole, PerRow])
def test_an_exact_answer_is_the_same_for_both(kind: type[_Stub]) -> None:
    assert undo(kind, CREATED, CHANGED) == {
        (1,): Undo(1, dict(CHANGED.values or {}), {"name": "a", "price": 1}, False, False, LIVE)}


def test_no_version_of_the_set() -> None:
    assert undo(Whole, CREATED, CHANGED, at=T3) is None
    assert undo(PerRow, CREATED, CHANGED, at=T3) == {(1,): Undo(None, None, None, current=LIVE)}


def test_a_column_the_state_before_lacks() -> None:
    lacking = Version({"id": 1, "name": "a"}, Op.INSERT, valid_from=T1)
    made = dict(CHANGED.values or {})
    assert undo(Whole, lacking, CHANGED) == {(1,): Undo(1, made, {"name": "a", "price": 9}, False, False, LIVE)}
    assert undo(Whole, lacking, CHANGED, current=None) is None  # no live value to keep
    assert undo(PerRow, lacking, CHANGED) == {
        (1,): Undo(None, made, {"name": "a", "price": None}, False, False, LIVE)}


def test_an_unrecorded_column_before() -> None:
    unrecorded = Version({"id": 1, "name": "a", "price": 1}, Op.INSERT, valid_from=T1, unrecorded=("price",))
    made = dict(CHANGED.values or {})
    assert undo(Whole, unrecorded, CHANGED) == {(1,): Undo(1, made, {"name": "a", "price": 9}, False, False, LIVE)}
    assert undo(PerRow, unrecorded, CHANGED) == {
        (1,): Undo(None, made, {"name": "a", "price": 1}, False, False, LIVE)}


def test_a_column_the_write_does_not_restore() -> None:
    extra = Version({"id": 1, "name": "a", "price": 1, "secret": 0}, Op.INSERT, valid_from=T1)
    assert undo(Whole, extra, CHANGED) is None
    assert undo(PerRow, extra, CHANGED) == {
        (1,): Undo(None, dict(CHANGED.values or {}), {"name": "a", "price": 1}, False, False, LIVE)}


def test_one_inexact_key_among_exact_ones() -> None:
    exact = {(2,): ([CREATED, CHANGED], LIVE)}
    assert undo(Whole, CREATED, CHANGED, at=T3, more=exact) is None
    found = undo(PerRow, CREATED, CHANGED, at=T3, more=exact)
    assert found is not None and [u.op for u in found.values()] == [None, 1]


def test_the_state_a_deletion_or_a_later_version_leaves() -> None:
    deleted = Version({"id": 1, "name": "b", "price": 2}, Op.DELETE, valid_from=T2)  # Chrononaut's last state
    assert undo(Whole, CREATED, deleted, current=None) == {
        (1,): Undo(2, {"id": 1, "name": "b", "price": 2}, {"name": "a", "price": 1}, False, False, None)}
    assert undo(PerRow, CREATED, deleted, current=None) == {
        (1,): Undo(2, None, {"name": "a", "price": 1}, False, False, None)}
    later = Version({"id": 1, "name": "c", "price": 9}, Op.UPDATE, valid_from=T4)
    assert undo(Whole, CREATED, CHANGED, later) == {(1,): Undo(1, None, {"name": "a", "price": 1}, False, True, LIVE)}
    assert undo(PerRow, CREATED, CHANGED, later) == {
        (1,): Undo(1, dict(CHANGED.values or {}), {"name": "a", "price": 1}, False, True, LIVE)}
