"""Option values converted without pydantic when the answer is plain (typer builds a pydantic TypeAdapter per value).

typer coerces every option and argument through a pydantic ``TypeAdapter``: importing pydantic and building
the adapters of one command costs more CPU than the database read it serves. Most values chrono takes are
plain: an ASCII word, a count in decimal digits, a format name. Those are converted here, to what the adapter
returns for them; anything else (non-ASCII text, signs, exponents, an unknown choice) goes to typer's own
adapter, so its results and its error messages stay typer's (tests/unit/test_coerce.py compares the two).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
from typer._param_types import coerce_cli_choice

if TYPE_CHECKING:
    from typer._click.core import Context
    from typer._click.core import Parameter as ClickParameter
    from typer.core import _TyperParameter

_DIGITS = 18  # int(text) of at most this many decimal digits is what pydantic returns too


@dataclass(frozen=True)
class PlainCoercion(RuntimeParam):
    """Plain values converted directly; the rest handed to typer's adapter, built only then."""

    descriptor: TypeDescriptor = field(kw_only=True)
    _slow: list[RuntimeParam] = field(default_factory=list, kw_only=True, repr=False)

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Context) -> Any:
        done, result = plain_value(self.annotation, self.descriptor, value, ctx)
        if done:
            return result
        if not self._slow:
            self._slow.append(build_runtime_param(self.descriptor))
        return self._slow[0]._coerce_value(value, param=param, ctx=ctx)


def plain_value(annotation: Any, descriptor: TypeDescriptor, value: Any, ctx: Context | None) -> tuple[bool, Any]:
    """(True, the converted value) when ``value`` is plain for ``annotation``, else (False, None)."""
    if descriptor.is_list:
        item_type = descriptor.annotation.__args__[0]
        if item_type is str and isinstance(value, list | tuple) and all(_plain_text(v) for v in value):
            return True, list(value)
        return False, None
    if annotation is str:
        return (True, value) if _plain_text(value) else (False, None)
    if annotation is bool:
        return (True, value) if type(value) is bool else (False, None)
    if annotation is int:
        if type(value) is int:
            return True, value
        if _plain_text(value) and value.isdigit() and len(value) <= _DIGITS:
            return True, int(value)
        return False, None
    if annotation is float:
        return (True, value) if type(value) is float else (False, None)
    if (
        isinstance(annotation, type)
        and issubclass(annotation, Enum)
        and descriptor.case_sensitive
        and (ctx is None or ctx.token_normalize_func is None)
        and (isinstance(value, annotation) or _plain_text(value))
    ):
        try:
            return True, coerce_cli_choice(value, choices=tuple(annotation), case_sensitive=True, ctx=ctx)
        except ValueError:
            return False, None  # typer's adapter says what the choices are
    return False, None


def _plain_text(value: Any) -> bool:
    return type(value) is str and value.isascii()


def install(params: list[ClickParameter]) -> list[ClickParameter]:
    """Give every typer parameter in ``params`` the plain coercion (before any value is processed): a command's
    ``get_params`` calls this, as typer adds its --help and completion options late."""
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if (
            descriptor is None
            or getattr(param, "_runtime_param", None) is not None
            or descriptor.file_annotation is not None
            or descriptor.is_path
            or descriptor.parameter_info.parser is not None
            or descriptor.is_ranged
        ):
            continue
        param._runtime_param = PlainCoercion(  # type: ignore[attr-defined]
            parameter_info=descriptor.parameter_info, annotation=descriptor.annotation, descriptor=descriptor
        )
    return params
