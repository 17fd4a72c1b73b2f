"""The confirmation screen: a write's plan shown as ``chrono restore`` shows it; nothing written before ``y``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from chrono_cli.browse.base import cell
from chrono_cli.errors import ChronoError

if TYPE_CHECKING:
    from chrono_cli.services.plan import Plan


def plan_renderable(plan: Plan, before: list[RenderableType] | None = None) -> Group:
    """Each item's diff (current red, new green), kept columns, expected row, SQL and notes; then who and why."""
    from chrono_cli.services.plan import item_title

    parts: list[RenderableType] = list(before or [])
    for item in plan.items:
        table = Table(title=Text(item_title(plan, item)), title_justify="left", header_style="bold")
        for name in ("column", "current", "new"):
            table.add_column(name, overflow="fold")
        for d in item.diff:
            table.add_row(d["column"], _styled(d["old"], "red"), _styled(d["new"], "green"))
        parts.append(table)
        lines = [f"kept: {k['column']} ({k['why']})" for k in item.kept]
        lines.append(f"expected current row: {item.expected_row}")
        lines.append("SQL:")
        for s in item.statements:
            lines += [f"  -- {s['label']}", f"  {s['sql']};",
                      f"  -- params: {json.dumps(s['params'], ensure_ascii=False)}"]
        lines += [f"note: {n}" for n in item.notes]
        parts.append(Text("\n".join(lines) + "\n"))
    tail = [f"note: {n}" for n in plan.notes]
    who = ", ".join(p for p in (f"actor: {plan.actor}" if plan.actor else "",
                                f"reason: {plan.reason}" if plan.reason else "") if p)
    if who:
        tail.append(who)
    parts.append(Text("\n".join(tail)))
    return Group(*parts)


class ConfirmScreen(ModalScreen[bool]):
    """Shows the plan; ``y`` applies it in one transaction (services.apply), ``n`` or escape writes nothing."""

    BINDINGS = [Binding("y", "write", "Write these changes"), Binding("n,escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    ConfirmScreen { background: $background; }
    ConfirmScreen #question { dock: top; background: $warning 30%; padding: 0 1; }
    """

    def __init__(self, plan: Plan, before: list[RenderableType] | None = None) -> None:
        super().__init__()
        self.plan = plan
        self.before = before

    def compose(self) -> ComposeResult:
        yield Static("Write these changes? y = write (one transaction), n = cancel: nothing written", id="question")
        with VerticalScroll(id="plan"):
            yield Static(plan_renderable(self.plan, self.before))
        yield Footer()

    def action_cancel(self) -> None:
        self.notify("not confirmed: nothing written", timeout=4)
        self.dismiss(False)

    def action_write(self) -> None:
        from chrono_cli.services.apply import apply_plan

        ws = self.app.ws  # type: ignore[attr-defined]

        def work() -> None:
            try:
                applied = apply_plan(ws, self.plan)
            except ChronoError as exc:
                self.app.call_from_thread(self._refused, exc)
                return
            self.app.call_from_thread(self._done, applied.plan, applied.warnings)

        self.run_worker(work, thread=True, group="write")

    def _done(self, plan: Plan, warnings: tuple[str, ...]) -> None:
        from chrono_cli.services.writeset import key_text

        for w in warnings:
            self.notify(f"warning: {w}", severity="warning", timeout=8)
        rows = ", ".join(f"{i.action} {i.table or plan.table} {key_text(i.key)}" for i in plan.items)
        self.notify(f"written: {rows}", timeout=6)
        self.dismiss(True)

    def _refused(self, exc: ChronoError) -> None:
        self.notify(f"error: {exc}" + (f"\nhint: {exc.hint}" if exc.hint else ""), severity="error", timeout=10)
        self.dismiss(False)


def _styled(value: object, style: str) -> Text:
    return cell(value) if value is None else Text(str(value), style=style)
