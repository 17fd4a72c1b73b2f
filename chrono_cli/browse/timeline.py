"""One record's timeline, newest first: who, when, why, what changed; a field strip; diff, blame, restore keys."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from chrono_cli.browse.base import BrowseScreen, cell, cursor_row, when
from chrono_cli.errors import ChronoError
from chrono_cli.model import Op, Timeline, Version
from chrono_cli.records import replace
from chrono_cli.render.encode import text

PAGE = 200  # versions read, and rows added to the table, at a time: a long history is never read whole up front
STRIP_STEPS = 40  # the field strip shows this many newest values (older ones are elided)


class TimelineScreen(BrowseScreen):
    """Versions of one record, newest first; space marks two for ``d``, enter diffs with the version before."""

    BINDINGS = [Binding("space", "mark", "Mark"), Binding("d", "diff", "Diff marked"),
                Binding("enter", "select_version", "Diff with previous", show=False),
                Binding("b", "blame", "Blame"), Binding("f", "field", "Next field"),
                Binding("r", "restore", "Restore to this"), Binding("a", "archive", "Archive"),
                Binding("u", "unarchive", "Unarchive")]

    def __init__(self, table: str, key: str) -> None:
        super().__init__()
        self.table_name = table
        self.key = key
        self.timeline: Timeline | None = None  # the versions read so far (a newest part), oldest first
        self.pages: Iterator[Timeline] = iter(())  # the older pages still to read (services.read.history_pages)
        self.complete = False  # every version is read
        self.fetching = False
        self.waiting: list[Callable[[], None]] = []  # what runs once the page being read is in
        self.by_seq: dict[int, Version] = {}
        self.total = 0  # the newest version's position: how many versions the record has
        self.marked: list[int] = []
        self.shown = 0  # versions added to the table so far (newest first)
        self.field = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"{self.table_name} {self.key}: loading…", id="title")
        yield Static("", id="strip")
        table: DataTable[Any] = DataTable(cursor_type="row", zebra_stripes=True, id="versions")
        table.add_column(" ", key="mark", width=1)
        for name in ("pos", "version", "op", "at", "actor", "reason", "what changed"):
            table.add_column(name, key=name)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Read the record again from its newest page (on opening, and after a write)."""
        from chrono_cli.services.read import history_pages

        self.pages = history_pages(self.ws, self.table_name, self.key, convention=self.browser.convention,
                                   size=PAGE)
        self.timeline, self.complete, self.fetching, self.waiting = None, False, False, []
        self.fetch()

    def fetch(self, then: Callable[[], None] | None = None) -> None:
        """Read the next (older) page of versions, then run ``then``."""
        if then is not None:
            self.waiting.append(then)
        if self.fetching:
            return
        self.fetching = True
        pages = self.pages
        # a page of a timeline read again since (after a write) is dropped
        self.load(lambda: next(pages, None), lambda page: self.add_page(page) if pages is self.pages else None)

    def fail(self, exc: ChronoError) -> None:
        self.fetching, self.complete, self.waiting = False, True, []
        super().fail(exc)

    def add_page(self, page: Timeline | None) -> None:
        self.fetching = False
        first = self.timeline is None
        if page is None or not page.versions:
            self.complete = True
        elif self.timeline is None:
            self.show(page)
        else:
            tl = self.timeline
            columns = (*tl.columns, *(c for c in page.columns if c not in tl.columns))
            self.timeline = replace(tl, columns=columns, versions=page.versions + tl.versions)
        if page is not None:
            self.by_seq.update((v.seq, v) for v in page.versions)
            self.complete = self.complete or not page.versions or page.versions[0].seq <= 1
        if first and self.timeline is not None:
            self.more()
            self.field = _busiest(self.timeline)
            self.query_one("#versions", DataTable).focus()
        self.strip()
        waiting, self.waiting = self.waiting, []
        for then in waiting:
            then()

    def show(self, tl: Timeline) -> None:
        """The newest page: the title, the warnings, an empty table."""
        self.timeline, self.by_seq = tl, {}
        self.marked = []
        self.shown = 0
        self.total = tl.versions[-1].seq
        title = f"{tl.table} {tl.key} [{tl.convention}" + (f": {tl.history}]" if tl.history else "]")
        title += f" · {self.total} versions" + (f" · type={tl.row_type}" if tl.row_type else "")
        self.query_one("#title", Static).update(Text(title))
        for warning in tl.warnings:
            self.notify(f"warning: {warning}", severity="warning", timeout=8)
        self.query_one("#versions", DataTable).clear()

    def more(self) -> None:
        """Add the next page of (older) versions to the table, reading it first when it is not read yet."""
        tl = self.timeline
        if tl is None:
            return
        if self.shown >= len(tl.versions):
            if not self.complete:
                self.fetch(self.more)
            return
        table = self.query_one("#versions", DataTable)
        newest_first = tl.versions[::-1][self.shown:self.shown + PAGE]
        for v in newest_first:
            table.add_row(*_row(v, v.seq in self.marked), key=str(v.seq))
        self.shown += len(newest_first)

    def older(self, seq: int, then: Callable[[], None]) -> bool:
        """Whether the versions down to position ``seq`` are read; if not, read the next page, then ``then``."""
        tl = self.timeline
        if tl is None or self.complete or tl.versions[0].seq <= seq:
            return tl is not None
        self.fetch(then)
        return False

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= self.shown - 1 - PAGE // 4 and not self.fetching:  # a quarter page before the end
            self.more()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_select_version()

    def version(self) -> Version | None:
        seq = cursor_row(self.query_one("#versions", DataTable))
        return None if seq is None else self.by_seq.get(int(seq))

    def strip(self) -> None:
        """The field strip: how one column's value went, oldest to newest (``plan: free → pro → free``)."""
        tl = self.timeline
        if tl is None or not tl.columns:
            return
        column = tl.columns[self.field]
        steps: list[str] = []
        for v in tl.versions:
            if v.values is None:
                step = "(deleted)"
            elif column in v.values:
                step = text(v.values[column])
            else:
                step = "(not recorded)"
            if not steps or steps[-1] != step:
                steps.append(step)
        shown = steps[-STRIP_STEPS:]  # older values, and those of versions not read yet, are elided
        line = Text.assemble((f"{column}: ", "bold"), "… → " if len(shown) < len(steps) or not self.complete else "")
        line.append(Text(" → ").join(Text(s, style="dim" if s.startswith("(") else "") for s in shown))
        self.query_one("#strip", Static).update(line)

    def action_field(self) -> None:
        if self.timeline and self.timeline.columns:
            self.field = (self.field + 1) % len(self.timeline.columns)
            self.strip()

    def action_mark(self) -> None:
        v = self.version()
        if v is None:
            return
        if v.seq in self.marked:
            self.marked.remove(v.seq)
        else:
            self.marked = [*self.marked[-1:], v.seq]  # two marks at most: the oldest mark goes
        table = self.query_one("#versions", DataTable)
        for seq in self.by_seq:
            if str(seq) in table.rows:
                table.update_cell(str(seq), "mark", "●" if seq in self.marked else "")

    def action_select_version(self) -> None:
        """Enter: what this version changed (its diff with the version before it)."""
        from chrono_cli.browse.views import DiffScreen

        v = self.version()
        if v is None or self.timeline is None or not self.older(v.seq - 1, self.action_select_version):
            return
        self.app.push_screen(DiffScreen(self.timeline, self.by_seq.get(v.seq - 1), v))

    def action_diff(self) -> None:
        """d: the two marked versions (one mark: against the highlighted version)."""
        from chrono_cli.browse.views import DiffScreen

        tl = self.timeline
        v = self.version()
        if tl is None or v is None:
            return
        pair = sorted(self.marked if len(self.marked) == 2 else {*self.marked, v.seq})
        if len(pair) < 2:
            self.notify("mark two versions with space (or one, then move to the other)", timeout=4)
            return
        self.app.push_screen(DiffScreen(tl, self.by_seq[pair[0]], self.by_seq[pair[1]]))

    def action_blame(self) -> None:
        from chrono_cli.browse.views import BlameScreen
        from chrono_cli.services.blame import blame_timeline

        v = self.version()
        if v is None or not self.older(1, self.action_blame):  # who set a value may be any older version
            return
        tl = self.timeline
        assert tl is not None
        try:
            view = blame_timeline(tl, tl.columns, v)
        except ChronoError as exc:
            self.fail(exc)
            return
        self.app.push_screen(BlameScreen(view))

    def action_restore(self) -> None:
        """r: the same plan ``chrono restore TABLE KEY --version pN`` makes, then the confirmation screen."""
        from chrono_cli.services.restore import plan_restore

        v = self.version()
        if v is None:
            return
        convention = self.browser.convention
        self.load(lambda: plan_restore(self.ws, self.table_name, self.key, version=f"p{v.seq}",
                                       convention=convention), self.confirm)

    def action_archive(self) -> None:
        """a: the plan ``chrono archive TABLE KEY`` makes, then the confirmation screen."""
        self.plan_archive(archived=True)

    def action_unarchive(self) -> None:
        """u: the plan ``chrono unarchive TABLE KEY`` makes, then the confirmation screen."""
        self.plan_archive(archived=False)

    def plan_archive(self, archived: bool) -> None:
        from chrono_cli.services.archive import plan_archive
        from chrono_cli.services.writeset import resolve_meta

        convention = self.browser.convention
        self.load(lambda: plan_archive(self.ws, self.table_name, [self.key], archived=archived,
                                       meta=resolve_meta(self.ws.config, None, None), convention=convention),
                  self.confirm)

    def confirm(self, plan: Any) -> None:
        from chrono_cli.browse.writes import ConfirmScreen

        self.app.push_screen(ConfirmScreen(plan), self.written)

    def written(self, done: bool | None) -> None:
        if done:
            self.reload()


def _row(v: Version, marked: bool) -> list[Any]:
    number = "" if v.number is None else str(v.number)
    if v.current:
        number += " (current)" if number else "(current)"
    op = Text(v.op.value, style={Op.INSERT: "green", Op.DELETE: "red"}.get(v.op, ""))
    return ["●" if marked else "", f"p{v.seq}", number, op, when(v.valid_from), cell(v.actor, unknown=""),
            cell(v.reason, unknown=""), _changes(v)]


def _changes(v: Version) -> Text:
    if v.op is Op.DELETE:
        return Text("(deleted)", style="red")
    parts: list[Text] = []
    for c in v.changes:
        if v.op is Op.INSERT:
            parts.append(Text.assemble(f"{c.column} = ", (text(c.new), "green")))
        else:
            parts.append(Text.assemble(f"{c.column}: ", (text(c.old), "red"), " → ", (text(c.new), "green")))
    if not parts and v.seq == 1 and v.op is not Op.INSERT:
        parts.append(Text("(first recorded state)", style="dim"))
    if v.note:
        parts.append(Text(f"[{v.note}]", style="dim"))
    return Text("; ").join(parts)


def _busiest(tl: Timeline) -> int:
    """The column that changed most often, short of every time (a who-saved-it column): the strip starts there."""
    counts = dict.fromkeys(tl.columns, 0)
    updates = 0
    for v in tl.versions:
        if v.seq > 1 and v.op is Op.UPDATE:
            updates += 1
            for c in v.changes:
                counts[c.column] = counts.get(c.column, 0) + 1
    some = {c: n for c, n in counts.items() if n < updates} or counts
    best = max(tl.columns, key=lambda c: some.get(c, 0), default=None)
    return tl.columns.index(best) if best is not None else 0
