"""Change sets (``chrono changes``): the list, one set's rows, and its revert plan with confirmation."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text
from textual.binding import Binding

from chrono_cli.browse.base import cell, cursor_row, when
from chrono_cli.browse.tables import ListScreen
from chrono_cli.model import ChangeList, ChangeSet
from chrono_cli.render.encode import text

PAGE = 50


class ChangesScreen(ListScreen):
    """Change sets newest first, exact or inferred (labelled); enter drills down, ``v`` plans the revert."""

    COLUMNS = ("id", "at", "actor", "reason", "kind", "rows", "tables")
    PLACEHOLDER = "/ filters by id, actor, reason or table; enter opens the highlighted change set"
    TYPE_TO_FILTER = False
    BINDINGS = [Binding("v", "revert", "Revert this change set"),
                Binding("V", "force_revert", "Revert, over later changes")]

    def __init__(self, since: str | None) -> None:
        super().__init__("change sets" + (f" since {since}" if since else ""))
        self.since = since
        self.sets: tuple[ChangeSet, ...] = ()
        self.next_before: str | None = None  # the cursor of the next page (None: the listing ended)
        self.fetching = False
        self.needle = ""

    def on_mount(self) -> None:
        super().on_mount()
        self.fetch()

    def fetch(self) -> None:
        """The next page of change sets (``chrono changes --before``), added below those shown."""
        from chrono_cli.services.changes import list_changes

        before, self.fetching = self.next_before, True
        self.load(lambda: list_changes(self.ws, since=self.since, limit=PAGE, before=before), self.show)

    def show(self, listing: ChangeList) -> None:
        first = not self.sets and self.next_before is None
        self.sets += listing.changesets
        self.next_before, self.fetching = listing.next_before, False
        if first:
            for note in (*listing.notes, *listing.advice):  # the browser has no -v: its advice every time
                self.notify(note, timeout=6)
            if not self.sets:
                self.notify("no changes in that window", timeout=6)
        self.add(listing.changesets)

    def on_data_table_row_highlighted(self, event: Any) -> None:
        if event.cursor_row >= self.rows.row_count - 1 - PAGE // 4 and self.next_before and not self.fetching:
            self.fetch()  # a quarter page before the end: the next page

    def refill(self, needle: str) -> None:
        self.needle = needle
        self.rows.clear()
        self.add(self.sets)

    def add(self, sets: tuple[ChangeSet, ...]) -> None:
        table = self.rows
        for cs in sets:
            tables = ", ".join(dict.fromkeys(str(c.table) for c in cs.changes))
            row = [cs.id, when(cs.at), cell(cs.actor, unknown="unknown"), cell(cs.reason, unknown=""),
                   "exact" if cs.exact else Text("inferred", style="yellow"), str(len(cs.changes)), tables]
            if self.needle.lower() in " ".join(map(str, (cs.id, cs.actor, cs.reason, tables))).lower():
                table.add_row(*row, key=cs.id)

    def on_input_changed(self, event: Any) -> None:
        self.refill(event.value)

    def on_input_submitted(self, event: Any) -> None:
        key = cursor_row(self.rows)
        if key is not None:
            self.open(key)

    def chosen(self) -> ChangeSet | None:
        key = cursor_row(self.rows)
        return next((cs for cs in self.sets if cs.id == key), None)

    def open(self, key: Any) -> None:
        cs = next((s for s in self.sets if s.id == key), None)
        if cs is not None:
            self.app.push_screen(ChangeSetScreen(cs))

    def action_revert(self) -> None:
        cs = self.chosen()
        if cs is not None:
            plan_revert_then_confirm(self, cs)

    def action_force_revert(self) -> None:
        cs = self.chosen()
        if cs is not None:
            plan_revert_then_confirm(self, cs, force=True)


class ChangeSetScreen(ListScreen):
    """One change set's rows with their field changes; enter opens a row's timeline, ``v`` plans the revert."""

    COLUMNS = ("table", "key", "op", "at", "actor", "what changed")
    PLACEHOLDER = ""
    TYPE_TO_FILTER = False
    BINDINGS = [Binding("v", "revert", "Revert this change set"),
                Binding("V", "force_revert", "Revert, over later changes")]

    def __init__(self, cs: ChangeSet) -> None:
        kind = "exact" if cs.exact else "inferred"
        super().__init__(f"change set {cs.id} ({kind}) by {cs.actor or 'unknown'}: {len(cs.changes)} row changes")
        self.cs = cs

    def on_mount(self) -> None:
        from chrono_cli.services.writeset import key_text

        table = self.rows
        for i, c in enumerate(self.cs.changes):
            what = "; ".join(f"{f.column}: {text(f.old)} → {text(f.new)}" for f in c.changes)
            table.add_row(str(c.table), key_text(c.key), c.op.value, when(c.at), cell(c.actor, unknown=""), what,
                          key=str(i))
        super().on_mount()

    def open(self, key: Any) -> None:
        from chrono_cli.browse.timeline import TimelineScreen
        from chrono_cli.services.writeset import key_text

        c = self.cs.changes[int(key)]
        self.app.push_screen(TimelineScreen(str(c.table), key_text(c.key)))

    def action_revert(self) -> None:
        plan_revert_then_confirm(self, self.cs)

    def action_force_revert(self) -> None:
        plan_revert_then_confirm(self, self.cs, force=True)


def plan_revert_then_confirm(screen: ListScreen, cs: ChangeSet, force: bool = False) -> None:
    """The plan ``chrono revert ID`` makes; blocked rows refuse it here as there, and so do conflicts (rows
    changed again after the change set) unless ``force`` (``chrono revert ID --force``: the confirmation screen
    lists the later changes it writes over)."""
    from chrono_cli.browse.writes import ConfirmScreen
    from chrono_cli.services.revert import Revert, plan_revert

    def confirm(result: Revert) -> None:
        if result.blocked or (result.conflicts and not force):
            rows = result.blocked or result.conflicts
            why = "cannot be written" if result.blocked else "changed again after the change set"
            listed = "; ".join(f"{c.table} {text(dict(c.key))}: {c.message}" for c in rows)
            hint = "" if result.blocked else "\nhint: V reverts anyway, writing over those changes"
            screen.notify(f"error: revert of {cs.id} refused: {len(rows)} row(s) {why} ({listed}); nothing written"
                          + hint, severity="error", timeout=10)
            return
        if result.plan is None:
            screen.notify(f"every row of change set {cs.id} is already as it was before it: nothing to write",
                          timeout=6)
            return
        skipped = [Text(f"skipped: {s}", style="dim") for s in result.skipped]
        skipped += [Text(f"writes over a later change: {c.table} {text(dict(c.key))}: {c.message}", style="yellow")
                    for c in result.conflicts]
        head = Table.grid()
        head.add_row(Text(f"revert change set {cs.id} ({'exact' if cs.exact else 'inferred'}, "
                          f"by {cs.actor or 'unknown'}): {len(cs.changes)} row changes", style="bold"))
        screen.app.push_screen(ConfirmScreen(result.plan, [head, *skipped]))

    screen.load(lambda: plan_revert(screen.ws, cs.id, force=force), confirm)
