"""Stored values: one equality rule (NaN is the value that was stored), JSON for non-finite floats."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest

from chrono_cli.conventions.diffs import field_changes, same
from chrono_cli.encoding import to_json
from chrono_cli.render.encode import dumps


@pytest.mark.parametrize(("a", "b", "expected"), [
    (float("nan"), float("nan"), True), (Decimal("NaN"), Decimal("NaN"), True), (float("nan"), 1.0, False),
    (1.0, float("nan"), False), (None, float("nan"), False), (Decimal("1.50"), Decimal("1.5"), True),
    (True, 1, False), (0, False, False), (float("inf"), float("inf"), True), (float("inf"), float("-inf"), False),
])
def test_same(a: object, b: object, expected: bool) -> None:
    assert same(a, b) is expected


def test_a_nan_that_stays_a_nan_is_no_change() -> None:
    assert field_changes({"x": float("nan"), "y": 1}, {"x": float("nan"), "y": 2}, ["x", "y"])[0].column == "y"
    assert len(field_changes({"x": float("nan")}, {"x": float("nan")}, ["x"])) == 0


def test_non_finite_floats_are_valid_json() -> None:
    doc = {"a": float("nan"), "b": float("inf"), "c": float("-inf"), "d": 1.5, "e": Decimal("NaN")}
    text = dumps(doc)
    assert json.loads(text) == {"a": {"$float": "NaN"}, "b": {"$float": "Infinity"}, "c": {"$float": "-Infinity"},
                                "d": 1.5, "e": "NaN"}
    assert "NaN," not in text and "Infinity" not in text.replace('"Infinity"', "").replace('"-Infinity"', "")
    assert to_json([math.nan]) == [{"$float": "NaN"}]
