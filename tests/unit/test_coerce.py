"""chrono_cli.cli.coerce converts plain values exactly as typer's pydantic adapter does, and leaves the rest to it."""

from __future__ import annotations

from typing import Any

import pytest
import typer.main
from typer._click.core import Context
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param

from chrono_cli.cli.app import app
from chrono_cli.cli.coerce import PlainCoercion, plain_value

SAMPLES: dict[str, list[Any]] = {
    "str": ["users", "42", "", " padded ", "p-1", "ünïcode", "bad\udcffbyte", "2026-11-01T09:00Z"],
    "int": [7, "7", "007", "0", "-3", "+4", "1_000", " 5", "5 ", "", "x", "1e3", "99999999999999999999", "²"],
    "float": [5.0, "2.5", "5", "-1", "nan", "", "x"],
    "bool": [True, False, "yes", "0"],
    "enum": ["json", "JSON", "table", "nope", ""],
    "list": [("a", "b"), ["a"], (), ("ä",), ("a", "")],
}


def _params() -> list[tuple[Any, Any]]:
    group = typer.main.get_command(app)
    found: dict[str, tuple[Any, Any]] = {}
    ctx = Context(group)
    commands = [group, *group.commands.values()]
    for command in commands:
        for param in command.get_params(ctx):
            descriptor = getattr(param, "type_descriptor", None)
            if descriptor is None or not isinstance(param.get_runtime_param(), PlainCoercion):
                continue
            kind = "list" if descriptor.is_list else "enum" if descriptor.is_choice else descriptor.annotation.__name__
            found.setdefault(kind, (command, param))
    return sorted(found.items())


def _outcome(coerce: Any, value: Any, param: Any, ctx: Context) -> tuple[str, Any]:
    try:
        return "ok", coerce(value, param=param, ctx=ctx)
    except BadParameter as exc:
        return "error", exc.format_message()


@pytest.mark.parametrize(("kind", "command_param"), _params(), ids=lambda v: v if isinstance(v, str) else "")
def test_plain_coercion_matches_typer(kind: str, command_param: tuple[Any, Any]) -> None:
    command, param = command_param
    ctx = Context(command)
    fast = param.get_runtime_param()
    slow = build_runtime_param(param.type_descriptor)
    for value in SAMPLES[kind]:
        got, want = _outcome(fast._coerce_value, value, param, ctx), _outcome(slow._coerce_value, value, param, ctx)
        assert repr(got) == repr(want), (kind, value)  # repr: nan is nan
        assert type(got[1]) is type(want[1]), (kind, value)


def test_every_kind_chrono_uses_is_covered() -> None:
    assert {kind for kind, _ in _params()} == set(SAMPLES)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("str", "ünïcode"),
        ("int", "-3"),
        ("int", "1_000"),
        ("int", " 5"),
        ("enum", "JSON"),
        ("float", "2.5"),
        ("list", ("ä",)),
    ],
)
def test_values_that_are_not_plain_go_to_typer(kind: str, value: Any) -> None:
    _command, param = dict(_params())[kind]
    assert plain_value(param.type_descriptor.annotation, param.type_descriptor, value, None) == (False, None)
