"""The SQL a write would run, for a person to read (``--sql``): values inlined as the dialect writes them,
secrets redacted. Shown, never executed: the write itself always runs the bound statements."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import String
from sqlalchemy import types as sqltypes
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import CompileError

from chrono_cli.conventions.writes import Step
from chrono_cli.conventions.writes.values import jsonable
from chrono_cli.services import redact

if TYPE_CHECKING:
    from chrono_cli.services.bulk_restore import BulkPlan
    from chrono_cli.services.plan import Plan
    from chrono_cli.services.workspace import Workspace

_SUFFIX = re.compile(r"_\d+$")  # SQLAlchemy names a column's second bind "email_1"


def statements(steps: Iterable[Step], dialect: Dialect, secret: Callable[[str], bool]) -> list[tuple[str, str]]:
    """``(label, sql;)`` per step: literal values where the dialect can write them, else the statement with its
    parameters in a comment. A parameter named after a secret column reads ``'redacted'``."""
    return [(step.label, literal(step.statement, dialect, secret)) for step in steps]


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
        return _with_params(str(compiled).strip(), jsonable(dict(compiled.params)), secret)


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
                return str(super().render_literal_value(json.dumps(jsonable(value), ensure_ascii=False), String()))
            if isinstance(value, bytes | bytearray | memoryview):
                raise TypeError("bytes have no portable literal")
            return str(super().render_literal_value(value, type_))

    return Literal(dialect, statement, compile_kwargs={"literal_binds": True, "render_postcompile": True})


def plan_sql(ws: Workspace, plan: Plan) -> list[tuple[str, list[tuple[str, str]]]]:
    """``(item title, [(label, sql)])`` per row of a plan, for ``--sql``; a plan read from a file has no
    statements to inline, so its compiled statements are shown with their parameters."""
    from chrono_cli.services.plan import item_title

    out = []
    for item in plan.items:
        secret = redact.hides(ws.config, item.table or plan.table, ws.settings.show_secrets)
        if item.steps:
            shown = statements(item.steps, ws.engine.dialect, secret)
        else:
            shown = [(s["label"], _with_params(s["sql"], s["params"], secret)) for s in item.statements]
        out.append((item_title(plan, item), shown))
    return out


def bulk_sql(ws: Workspace, plan: BulkPlan) -> list[tuple[str, str]]:
    """``(label, sql)`` of a set-based restore, for ``--sql``."""
    secret = redact.hides(ws.config, plan.table, ws.settings.show_secrets)
    if plan.steps:
        return statements(plan.steps, ws.engine.dialect, secret)
    return [(s["label"], _with_params(s["sql"], s.get("params") or {}, secret)) for s in plan.statements]


def _with_params(sql: str, params: Mapping[str, Any], secret: Callable[[str], bool]) -> str:
    if not params:
        return f"{sql};"
    shown = {k: "redacted" if secret(_SUFFIX.sub("", k)) else v for k, v in params.items()}
    return f"{sql};\n-- params: {json.dumps(jsonable(shown), ensure_ascii=False)}"
