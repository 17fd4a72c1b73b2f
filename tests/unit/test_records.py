"""chrono's value types (chrono_cli/records.py): msgspec Structs beside the few dataclasses that stay."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import msgspec
import pytest

import chrono_cli
from chrono_cli.model import RowKey, TableRef, Timeline
from chrono_cli.records import replace


def _classes() -> list[type]:
    found = []
    for info in pkgutil.walk_packages(chrono_cli.__path__, "chrono_cli."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        found += [c for c in vars(module).values() if inspect.isclass(c) and c.__module__ == info.name]
    return found


def test_no_struct_takes_a_dataclass_field_as_its_default() -> None:
    """A module holding both kinds that imports dataclasses' ``field`` gives a Struct a Field object as the value
    of the attribute (msgspec takes any default as is)."""
    wrong = [f"{c.__module__}.{c.__qualname__}" for c in _classes() if issubclass(c, msgspec.Struct)
             and any(isinstance(d, dataclasses.Field) for d in c.__struct_defaults__)]
    assert wrong == []


def test_replace_takes_both_kinds() -> None:
    ref = TableRef("public", "users")
    assert replace(ref, name="orders") == TableRef("public", "orders")
    timeline = Timeline(ref, RowKey((("id", 1),)), "c", None, ("id",), ())
    assert replace(timeline, convention="d") == Timeline(ref, RowKey((("id", 1),)), "d", None, ("id",), ())

    @dataclasses.dataclass(frozen=True)
    class Plain:
        value: int

    assert replace(Plain(1), value=2) == Plain(2)
    with pytest.raises(TypeError):
        replace(object(), value=2)
