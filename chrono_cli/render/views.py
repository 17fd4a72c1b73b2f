"""Results as rows and columns, for the table, plain, markdown, github and csv formats."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any

from chrono_cli.model import (
    REDACTED,
    BlameLine,
    BlameView,
    ChangeList,
    ChangeSet,
    DiffView,
    FieldChange,
    Op,
    RecordView,
    Redacted,
    ResultSet,
    Timeline,
    Version,
)
from chrono_cli.render import changes_out
from chrono_cli.render.colors import NEW, OLD, Styled
from chrono_cli.render.display import Display, value_text
from chrono_cli.render.encode import text
from chrono_cli.render.finediff import detail, marked

HISTORY_COLUMNS = ("pos", "version", "op", "from", "to", "actor", "reason", "changes")
# -f csv history is tidy: one row per (version, column) change
TIDY_HISTORY = ("pos", "version", "current", "op", "from", "to", "actor", "reason", "column", "old", "new", "note")
BLAME_COLUMNS = ("column", "value", "pos", "version", "at", "actor", "reason", "previous")
# for people: one position column ("p3", or "p3 (v17)" when the library numbers differently)
HUMAN_HISTORY = ("pos", "op", "from", "to", "actor", "reason", "changes")
HUMAN_BLAME = ("column", "value", "pos", "at", "actor", "reason", "previous")
DIFF_COLUMNS = ("column", "old", "new", "change")  # change: the changed words or JSON paths of a long field


def tabular(result: object, display: Display | None = None) -> ResultSet:
    """Rows and columns of a result; ``display`` (None for csv) makes times and values read for people."""
    show = _Shown(display)
    if isinstance(result, ResultSet):
        return result
    if isinstance(result, ChangeList | ChangeSet):
        return changes_out.rows(result, show.time, show.text)
    if isinstance(result, Timeline):
        columns, lines = history_rows(result, result.versions, display)
        return ResultSet(columns, list(lines), title=show.title(_title(result)))
    if isinstance(result, RecordView):
        v = result.version
        rows: list[list[Any]] = []
        for c in result.columns:
            if v.values is not None and c in v.values:
                rows.append([c, show.value(v.values[c], c), ""])
            elif c in v.unrecorded:
                rows.append([c, None, "not recorded"])
        title = f"{_title(result.timeline)} at {_label(v)}"
        notes = (v.note,) if v.note else ()
        return ResultSet(("column", "value", "note"), rows, title=title, notes=notes)
    if isinstance(result, DiffView):
        title = f"{_title(result.timeline)}: {_label(result.old)} → {_label(result.new)}"
        if display is None:
            rows = [[c.column, c.old, c.new] for c in result.changes]
            rows += [[c, "(not recorded)", "(not recorded)"] for c in result.unrecorded if result.show_all]
            return ResultSet(("column", "old", "new"), rows, title=title)
        rows = diff_rows(result.changes, show.value, set(result.unchanged))
        rows += [[c, "(not recorded)", "(not recorded)", ""] for c in result.unrecorded if result.show_all]
        return ResultSet(DIFF_COLUMNS, rows, title=title)
    if isinstance(result, BlameView):
        explained = [f"{line.column}: {line.note}" for line in result.lines if line.note and line.recorded]
        if result.deleted is not None:
            explained.append(f"the record was deleted at p{result.deleted.seq}; blaming its last state")
        return ResultSet(BLAME_COLUMNS if display is None else HUMAN_BLAME,
                         [_blame_row(line, show) for line in result.lines],
                         title=show.title(f"{_title(result.timeline)} blame at {_label(result.state)}"),
                         notes=tuple(explained))
    raise TypeError(f"cannot render {type(result).__name__}")


def history_rows(tl: Timeline, versions: Iterable[Version],
                 display: Display | None = None) -> tuple[tuple[str, ...], Iterator[list[Any]]]:
    """The columns of a timeline's table and its rows, one per version as they come."""
    show = _Shown(display)
    return HISTORY_COLUMNS if display is None else HUMAN_HISTORY, (_history_row(v, show) for v in versions)


def tidy(result: object) -> ResultSet:
    """What ``-f csv`` writes: a history one row per (version, column) change; anything else as ``tabular``."""
    if not isinstance(result, Timeline):
        return tabular(result)
    return ResultSet(TIDY_HISTORY, list(tidy_rows(result.versions)), title=_title(result))


def tidy_rows(versions: Iterable[Version]) -> Iterator[list[Any]]:
    """A history's csv rows, one per (version, column) change, as the versions come. A version that changed no
    column (a delete, a first recorded state) still has its one row, column empty."""
    show = _Shown(None)
    for v in versions:
        head = [*show.pos(v, mark_current=False), "true" if v.current else "false", v.op.value, _time(v.valid_from),
                _time(v.valid_to), v.actor or "", v.reason or ""]
        changes = [] if v.op is Op.DELETE else v.changes
        yield from ([*head, c.column, c.old, c.new, v.note or ""] for c in changes)
        if not changes:
            yield [*head, "", None, None, v.note or ("(first recorded state)" if v.seq == 1 else "")]


def diff_rows(changes: Iterable[FieldChange], value: Callable[[Any, str], Any],
              unchanged: Collection[str] = ()) -> list[list[Any]]:
    """``[column, old, new, change]`` for people: old red and new green; a long text or a JSON document reads
    as its changed words or paths in ``change`` (old and new left blank); an unchanged field stays uncoloured."""
    rows: list[list[Any]] = []
    for c in changes:
        old, new = value(c.old, c.column), value(c.new, c.column)
        if c.column in unchanged:  # diff --all
            rows.append([c.column, old, new, ""])
            continue
        found = None if isinstance(old, Redacted) or isinstance(new, Redacted) else detail(c.column, c.old, c.new)
        if found is not None:
            rows.append([c.column, "", "", marked(found)])
        else:
            rows.append([c.column, _coloured(old, OLD), _coloured(new, NEW), ""])
    return rows


def _coloured(value: Any, style: str) -> Any:
    return value if value is None else Styled.whole(text(value), style)


class _Shown:
    """Times and values as csv keeps them (no display) or as people read them."""

    def __init__(self, display: Display | None) -> None:
        self.display = display

    def time(self, value: Any) -> Any:
        if self.display is None:
            return _time(value)
        return self.display.time(value)

    def value(self, value: Any, column: str | None = None) -> Any:
        if self.display is None or value is None:
            return value
        if column is not None and self.display.hides(column):
            return REDACTED
        return value_text(value, text(value))

    def text(self, value: Any, column: str | None = None) -> str:
        if self.display is None:
            return text(value)
        return text(self.value(value, column))

    def pos(self, v: Version, mark_current: bool = True) -> list[str]:
        number = "" if v.number is None else str(v.number)
        current = mark_current and v.current
        if self.display is None:
            return [f"p{v.seq}", number + (" (current)" if number and current else "(current)" if current else "")]
        label = f"p{v.seq}" if number in ("", str(v.seq)) else f"p{v.seq} (v{number})"
        return [label + (" current" if current else "")]

    def title(self, title: str) -> str:
        return title if self.display is None else f"{title} ({self.display.legend})"


def _blame_row(line: BlameLine, show: _Shown) -> list[Any]:
    v = line.version
    if v is None:
        value = show.value(line.value, line.column) if line.recorded else "(not recorded)"
        blank = [""] * (5 if show.display is None else 4)
        return [line.column, value, "not recorded", *blank]
    return [line.column, show.value(line.value, line.column), *show.pos(v, mark_current=False), show.time(v.valid_from),
            v.actor or "", v.reason or "", show.value(line.previous, line.column) if line.has_previous else ""]


def changes_text(v: Version, show: _Shown, sep: str = "\n") -> str:
    if v.op is Op.DELETE:
        return "(deleted)"
    parts = [f"{c.column}: {show.text(c.old, c.column)} → {show.text(c.new, c.column)}" if v.op is not Op.INSERT
             else f"{c.column} = {show.text(c.new, c.column)}" for c in v.changes]
    if not parts and v.seq == 1 and v.op is not Op.INSERT:
        parts.append("(first recorded state)")
    if v.note:
        parts.append(f"[{v.note}]")
    return sep.join(parts)


def _history_row(v: Version, show: _Shown) -> list[Any]:
    return [*show.pos(v), v.op.value, show.time(v.valid_from), show.time(v.valid_to), v.actor or "",
            v.reason or "", changes_text(v, show)]


def _time(value: Any) -> str:
    return "" if value is None else text(value)


def _label(v: Version) -> str:
    label = f"p{v.seq}"
    if v.number is not None:
        label += f" (version {v.number})"
    if v.op is Op.DELETE:
        label += " (deleted)"
    return label


def _title(tl: Timeline) -> str:
    title = f"{tl.table} {tl.key} [{tl.convention}"
    title += f": {tl.history}]" if tl.history else "]"
    if tl.row_type:
        title += f" type={tl.row_type}"
    return title
