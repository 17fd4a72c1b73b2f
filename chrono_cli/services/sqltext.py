"""The SQL a write would run, for a person to read (``--sql``): values inlined as the dialect writes them,
secrets redacted. Shown, never executed: the write itself always runs the bound statements."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from sqlalchemy.engine import Dialect

from chrono_cli.conventions.writes import Step
from chrono_cli.db.literal import literal, with_params
from chrono_cli.services import redact

if TYPE_CHECKING:
    from chrono_cli.services.bulk_restore import BulkPlan
    from chrono_cli.services.plan import Plan
    from chrono_cli.services.workspace import Workspace


def statements(steps: Iterable[Step], dialect: Dialect, secret: Callable[[str], bool]) -> list[tuple[str, str]]:
    """``(label, sql;)`` per step: literal values where the dialect can write them, else the statement with its
    parameters in a comment. A parameter named after a secret column reads ``'redacted'``."""
    return [(step.label, literal(step.statement, dialect, secret)) for step in steps]


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
            shown = [(s["label"], with_params(s["sql"], s["params"], secret)) for s in item.statements]
        out.append((item_title(plan, item), shown))
    return out


def bulk_sql(ws: Workspace, plan: BulkPlan) -> list[tuple[str, str]]:
    """``(label, sql)`` of a set-based restore, for ``--sql``."""
    secret = redact.hides(ws.config, plan.table, ws.settings.show_secrets)
    if plan.steps:
        return statements(plan.steps, ws.engine.dialect, secret)
    return [(s["label"], with_params(s["sql"], s.get("params") or {}, secret)) for s in plan.statements]
