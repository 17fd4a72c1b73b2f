"""A statement as SQL text a person reads (``--sql``): the dialect's own compiler inlining every value, secrets
as 'redacted'; a value with no portable literal (bytes) sends the statement out with its parameters in a comment.
Shown, never executed."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import String
from sqlalchemy import types as sqltypes
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import CompileError

from chrono_cli.encoding import to_json

_SUFFIX = re.compile(r"_\d+$")  # SQLAlchemy names a column's second bind "email_1"


def literal(statement: Any, dialect: Dialect, secret: Callable[[str], bool]) -> str:
    """One statement with its values inlined (or listed below it when a value has no literal form)."""
    compiled = statement.compile(dialect=dialect)
    hidden = {k for k in compiled.params if secret(_SUFFIX.sub("", k))}
    # a SET or VALUES bind has no column name when inlined: its value tells it (a secret's value is never shown)
    secrets = [v for k, v in compiled.params.items() if k in hidden and v is not None]
    try:
        return (
            str(
                _Literal(dialect, lambda key, value: secret(_SUFFIX.sub("", key)) or _among(value, secrets), statement)
            ).strip()
            + ";"
        )
    except (CompileError, NotImplementedError, TypeError, ValueError):
        return with_params(str(compiled).strip(), _plain(dict(compiled.params)), secret)


def _plain(value: Any) -> Any:
    """JSON-native data as plans write it (enums by member name)."""
    return to_json(value, enum_by="name")


def _among(value: Any, secrets: list[Any]) -> bool:
    return value is not None and any(value == s for s in secrets)


def _Literal(dialect: Dialect, secret: Callable[[str, Any], bool], statement: Any) -> Any:  # noqa: N802
    """The dialect's own compiler, inlining every value: JSON as its text, a secret as 'redacted'."""

    class Literal(dialect.statement_compiler):  # type: ignore[name-defined,misc]
        def render_literal_bindparam(self, bindparam: Any, **kw: Any) -> str:
            if secret(str(getattr(bindparam, "_orig_key", None) or bindparam.key), bindparam.effective_value):
                return str(self.render_literal_value("redacted", String()))
            return str(super().render_literal_bindparam(bindparam, **kw))

        def render_literal_value(self, value: Any, type_: Any) -> str:
            if isinstance(type_, sqltypes.JSON) or isinstance(value, dict | list):
                return str(super().render_literal_value(json.dumps(_plain(value), ensure_ascii=False), String()))
            if isinstance(value, bytes | bytearray | memoryview):
                raise TypeError("bytes have no portable literal")
            return str(super().render_literal_value(value, type_))

    return Literal(dialect, statement, compile_kwargs={"literal_binds": True, "render_postcompile": True})


def with_params(sql: str, params: Mapping[str, Any], secret: Callable[[str], bool]) -> str:
    """A compiled statement with its parameters in a comment below it, secrets as 'redacted'."""
    if not params:
        return f"{sql};"
    shown = {k: "redacted" if secret(_SUFFIX.sub("", k)) else v for k, v in params.items()}
    return f"{sql};\n-- params: {json.dumps(_plain(shown), ensure_ascii=False)}"
